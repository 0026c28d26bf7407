/*
 * Construct: the breaker functions' code, a copy of the handler bundle with the breaker's
 * configuration next to it (`breaker-config.json`), staged as one asset. The configuration lists
 * production, which the app knows only once it is complete, so the asset is built late: by an
 * aspect on the breaker's stage that acts on the construct the stage's aspects visit last, after
 * every other aspect has visited every construct (the priority `READONLY`: production is read,
 * not changed). The functions' S3 location is a token until then; templates are rendered after
 * the aspects, so it is the asset's in every template.
 *
 * The directory is written inside the assembly's asset directory, named by its content (without
 * a dot, which staging would take for an extension), and removed once the asset is staged (copied
 * to `asset.<hash>`). With asset staging disabled (`aws:cdk:disable-asset-staging`, as `sam local`
 * synthesizes) the asset is that directory itself, and it stays.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AspectPriority, Aspects, CfnResource, IAspect, Lazy, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct, IConstruct } from 'constructs';
import { BREAKER_CONFIG_FILE } from '../logic/config';

/** The bundle's one file, as `HANDLER_BUNDLE_DIR` holds it. */
const BUNDLE_FILE = 'index.js';

/** What the S3 location reads as before the asset exists, for an aspect that resolves the function early. */
const NOT_YET_BUILT = 'agent-guardrails-breaker-code-not-yet-built';

/** The breaker functions' `lambda.Code`: one asset, built once the app is complete. */
export class BreakerCode extends lambda.Code {
  private asset?: s3assets.Asset;
  private writtenConfig?: string;
  private readonly resources: { resource: CfnResource; property: string }[] = [];

  /**
   * @param scope where the asset goes (the breaker), in `stage`
   * @param bundleDir the handler bundle's directory
   * @param config the configuration's text, read when the asset is built
   */
  constructor(
    private readonly scope: Construct,
    private readonly stage: Stage,
    private readonly bundleDir: string,
    private readonly config: () => string,
  ) {
    super();
    Aspects.of(stage).add(new BuildLast(stage, () => this.build()), { priority: AspectPriority.READONLY });
  }

  /** The configuration the asset holds, once built. */
  public get configuration(): string | undefined {
    return this.writtenConfig;
  }

  public bind(_scope: Construct): lambda.CodeConfig {
    return {
      s3Location: {
        bucketName: Lazy.uncachedString({ produce: () => this.asset?.s3BucketName ?? NOT_YET_BUILT }),
        objectKey: Lazy.uncachedString({ produce: () => this.asset?.s3ObjectKey ?? NOT_YET_BUILT }),
      },
    };
  }

  public bindToResource(resource: CfnResource, options: lambda.ResourceBindOptions = {}): void {
    const property = options.resourceProperty ?? 'Code';
    this.resources.push({ resource, property });
    this.asset?.addResourceMetadata(resource, property);
  }

  /** Writes the directory and stages it as the asset, once. */
  private build(): void {
    if (this.asset) return;
    const config = this.config();
    const bundle = new Uint8Array(fs.readFileSync(path.join(this.bundleDir, BUNDLE_FILE)));
    const digest = crypto.createHash('sha256').update(bundle).update('\0').update(config).digest('hex');
    const dir = path.join(this.stage.assetOutdir, `agent-guardrails-breaker-${digest}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, BUNDLE_FILE), bundle);
    fs.writeFileSync(path.join(dir, BREAKER_CONFIG_FILE), config);
    const asset = new s3assets.Asset(this.scope, 'Code', { path: dir, deployTime: true });
    // Staged elsewhere (a copy named by its hash): the directory has served.
    if (path.resolve(this.stage.outdir, asset.assetPath) !== dir) fs.rmSync(dir, { recursive: true, force: true });
    this.asset = asset;
    this.writtenConfig = config;
    for (const { resource, property } of this.resources) asset.addResourceMetadata(resource, property);
  }
}

/** Builds on the construct the aspects of `root` visit last (depth first, children in order, nested stages apart). */
class BuildLast implements IAspect {
  private last?: IConstruct;

  constructor(
    private readonly root: Stage,
    private readonly build: () => void,
  ) {}

  public visit(node: IConstruct): void {
    // The root is visited first and the last construct last: by then every other construct has had
    // its aspects, and the last one its aspects of lower priority.
    this.last ??= lastConstruct(this.root);
    if (node === this.last) this.build();
  }
}

function lastConstruct(root: IConstruct): IConstruct {
  let node = root;
  for (;;) {
    const children = node.node.children.filter((c) => !Stage.isStage(c));
    if (children.length === 0) return node;
    node = children[children.length - 1];
  }
}
