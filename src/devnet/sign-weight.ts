// wallet/getsignweight: how far a transaction's signatures go towards the
// permission it names. TronWeb's multiSign asks it when the transaction does
// not carry Permission_id yet.
import type { Permission } from './account.js';
import { toBase58 } from './address.js';
import { claimedPermission, SignatureError } from './broadcast.js';
import { addressField } from './contract-input.js';
import { SignatureFormatError } from './signature.js';
import { decodeTransaction } from './transaction-codec.js';
import { addr, compact, permissionJson, type WalletRequest } from './wallet-json.js';

/** wallet/getsignweight: what TronWeb's multiSign asks before adding a signature. */
export async function signWeight(req: WalletRequest): Promise<unknown> {
  const tx = decodeTransaction(req.params);
  const transaction = {
    visible: req.params.visible === true,
    txID: tx.txID,
    raw_data: req.params.raw_data,
    raw_data_hex: tx.rawDataHex,
    ...(tx.signatures.length > 0 ? { signature: tx.signatures } : {}),
  };
  const wrapped = { result: { result: true }, txid: tx.txID, transaction };
  const owner = addressField(tx.value, 'owner_address');
  let permission: Permission;
  try {
    permission = claimedPermission(req.node.state, tx, owner, false);
  } catch (err) {
    if (err instanceof SignatureError) return { result: { code: 'PERMISSION_ERROR', message: err.message }, transaction: wrapped };
    throw err;
  }
  const approved: string[] = [];
  let weight = 0n;
  const signers = await req.node.verifier.signersOf(tx, permission.keys.map((k) => k.address));
  for (const signer of signers) {
    if (signer instanceof SignatureFormatError) {
      return { result: { code: 'SIGNATURE_FORMAT_ERROR', message: signer.message }, transaction: wrapped };
    }
    const key = permission.keys.find((k) => k.address === signer);
    if (key === undefined) {
      return {
        result: { code: 'PERMISSION_ERROR', message: `${toBase58(signer)} is not contained of permission.` },
        transaction: wrapped,
      };
    }
    approved.push(addr(req, signer));
    weight += key.weight;
  }
  return compact({
    permission: permissionJson(req, permission),
    approved_list: approved,
    current_weight: weight,
    result: { code: weight >= permission.threshold ? 'ENOUGH_PERMISSION' : 'NOT_ENOUGH_PERMISSION' },
    transaction: wrapped,
  });
}

