/*
 * The keys of local mode: approval proofs (HMAC-SHA256) and sealed credentials (AES-256-GCM bound
 * to the request), with keys made when the server starts and held only in its memory, as the KMS
 * keys are held only by KMS when deployed.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'crypto';
import { ApprovalSigner, CredentialsVault } from '../handlers/deps';
import { SessionCredentials } from '../handlers/store';

/** A signer whose key lives and dies with this process. */
export function localApprovalSigner(): ApprovalSigner {
  const key = createSecretKey(new Uint8Array(randomBytes(32)));
  const mac = (message: string) => createHmac('sha256', key).update(message, 'utf8').digest();
  return {
    async sign(message) {
      return mac(message).toString('base64');
    },
    async verify(message, proof) {
      const given = Buffer.from(proof, 'base64');
      const expected = mac(message);
      return given.length === expected.length && timingSafeEqual(new Uint8Array(given), new Uint8Array(expected));
    },
  };
}

/** A vault whose key lives and dies with this process; sealed credentials open only for their request and requester. */
export function localCredentialsVault(): CredentialsVault {
  const key = createSecretKey(new Uint8Array(randomBytes(32)));
  const context = (requestId: string, requesterArn: string) => new Uint8Array(Buffer.from(JSON.stringify([requestId, requesterArn]), 'utf8'));
  return {
    async seal(requestId, requesterArn, credentials) {
      const iv = new Uint8Array(randomBytes(12));
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(context(requestId, requesterArn));
      const body = Buffer.concat([new Uint8Array(cipher.update(JSON.stringify(credentials), 'utf8')), new Uint8Array(cipher.final())]);
      return Buffer.concat([iv, new Uint8Array(cipher.getAuthTag()), new Uint8Array(body)]).toString('base64');
    },
    async open(requestId, requesterArn, sealed) {
      const raw = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, new Uint8Array(raw.subarray(0, 12)));
      decipher.setAAD(context(requestId, requesterArn));
      decipher.setAuthTag(new Uint8Array(raw.subarray(12, 28)));
      const text = Buffer.concat([new Uint8Array(decipher.update(new Uint8Array(raw.subarray(28)))), new Uint8Array(decipher.final())]).toString('utf8');
      return JSON.parse(text) as SessionCredentials;
    },
  };
}
