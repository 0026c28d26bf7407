/*
 * Approval proofs for local mode: an HMAC-SHA256 with a key made when the server starts and held
 * only in its memory, as the KMS key is held only by KMS when deployed.
 */
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'crypto';
import { ApprovalSigner } from '../handlers/deps';

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
