/* The IAM action catalog, shared with the permissions boundary; see lib/private/iam-catalog.ts. */
export * from '../../private/iam-catalog';
