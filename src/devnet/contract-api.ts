// The smart-contract endpoints, in java-tron's shapes: triggersmartcontract
// builds the unsigned call (TriggerSmartContractServlet, Wallet.triggerContract),
// triggerconstantcontract runs it read-only (Wallet.triggerConstantContract,
// callConstantContract), estimateenergy searches the fee limit it needs
// (Wallet.estimateEnergy), getcontract and getcontractinfo describe the
// contract (Wallet.getContract, getContractInfo).
import { utils } from 'tronweb';
import { toBase58, toHexAddress } from './address.js';
import { unsignedTransaction } from './build-transaction.js';
import { ContractValidateError } from './contract-error.js';
import { parseInt64 } from './json-wire.js';
import {
  USDT_ABI,
  USDT_CONTRACT_NAME,
  USDT_HEX,
  USDT_ORIGIN_ENERGY_LIMIT,
  USDT_ORIGIN_HEX,
  SELECTORS,
  type TokenCall,
} from './trc20.js';
import { constantCall, estimateEnergy, parseTrigger, validateTrigger, type TriggerCall } from './trigger-smart-contract.js';
import { compact, type Handler, type WalletRequest } from './wallet-json.js';

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

/** Functions that only read (constant in the ABI): triggersmartcontract runs them instead of building. */
const CONSTANT_SELECTORS = new Set<string>([SELECTORS.balanceOf, SELECTORS.decimals, SELECTORS.name, SELECTORS.symbol, SELECTORS.totalSupply]);

/** Util.parseMethod: the first 4 bytes of keccak256(selector), then the encoded parameters. */
function callData(params: Record<string, unknown>): string {
  const selector = typeof params.function_selector === 'string' ? params.function_selector.replace(/\s/g, '') : '';
  if (selector !== '') {
    const parameter = typeof params.parameter === 'string' ? params.parameter.replace(/^0x/, '') : '';
    return utils.ethersUtils.keccak256(Buffer.from(selector, 'utf8')).slice(2, 10) + parameter.toLowerCase();
  }
  return typeof params.data === 'string' ? params.data.replace(/^0x/, '').toLowerCase() : '';
}

function int64Param(params: Record<string, unknown>, name: string): bigint {
  return parseInt64(params[name]) ?? 0n;
}

/** The TriggerSmartContract value as java-tron stores it (protobuf defaults left out), and the call it makes. */
function triggerFromRequest(params: Record<string, unknown>): { value: Record<string, unknown>; call: TriggerCall } {
  const value: Record<string, unknown> = {};
  const owner = toHexAddress(params.owner_address);
  const contract = toHexAddress(params.contract_address);
  if (owner !== null) value.owner_address = owner;
  if (contract !== null) value.contract_address = contract;
  const callValue = int64Param(params, 'call_value');
  if (callValue !== 0n) value.call_value = Number(callValue);
  const data = callData(params);
  if (data !== '') value.data = data;
  const tokenValue = int64Param(params, 'call_token_value');
  if (tokenValue !== 0n) value.call_token_value = Number(tokenValue);
  const tokenId = int64Param(params, 'token_id');
  if (tokenId !== 0n) value.token_id = Number(tokenId);
  return { value, call: parseTrigger(value) };
}

/** A Return with a refusal: `{code, message}` (hex), `result: false` left out as java-tron prints it. */
function refusal(code: string, message: string): Record<string, unknown> {
  return { result: { code, message: hex(message) } };
}

function validationRefusal(err: unknown): Record<string, unknown> {
  if (err instanceof ContractValidateError) return refusal('CONTRACT_VALIDATE_ERROR', err.message);
  throw err;
}

function logsJson(run: TokenCall): Array<Record<string, unknown>> {
  return run.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data }));
}

/** callConstantContract's TransactionExtention: energy_used (energy_penalty of it), constant_result, logs, the transaction with its ret. */
function constantAnswer(req: WalletRequest, value: Record<string, unknown>, call: TriggerCall, feeLimit: bigint): Record<string, unknown> {
  const { run, outOfEnergy, limit } = constantCall(req.view, call, feeLimit);
  if (outOfEnergy) {
    // A read-only call that runs out of energy throws, and the servlet answers OTHER_ERROR.
    return refusal(
      'OTHER_ERROR',
      `class org.tron.core.vm.program.Program$OutOfEnergyException : Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[${limit}], curOpEnergy[${run.storeEnergy}], usedEnergy[${run.energy - run.storeEnergy < limit ? run.energy - run.storeEnergy : limit}]`,
    );
  }
  const tx = unsignedTransaction(req.view.block, 'TriggerSmartContract', value, req.params, feeLimit);
  const result: Record<string, unknown> = { result: true };
  if (run.revert) result.message = hex('REVERT opcode executed');
  return compact({
    result,
    energy_used: run.energy,
    energy_penalty: run.penalty,
    constant_result: [run.returnHex],
    logs: logsJson(run),
    transaction: { ret: [run.revert ? { ret: 'FAILED' } : {}], ...tx },
  });
}

const triggerSmartContract: Handler = (req) => {
  const { value, call } = triggerFromRequest(req.params);
  const feeLimit = int64Param(req.params, 'fee_limit');
  // Wallet.triggerContract: the contract must be in the contract store; a constant function is run, not built.
  const account = req.view.account(call.receiver);
  if (account?.type !== 'Contract') return refusal('CONTRACT_VALIDATE_ERROR', 'No contract or not a valid smart contract');
  if (call.receiver === USDT_HEX && CONSTANT_SELECTORS.has(call.data.slice(0, 8))) {
    return constantAnswer(req, value, call, feeLimit);
  }
  return { result: { result: true }, transaction: unsignedTransaction(req.node.state.headBlock(), 'TriggerSmartContract', value, req.params, feeLimit) };
};

const triggerConstantContract: Handler = (req) => {
  const { value, call } = triggerFromRequest(req.params);
  if (req.view.account(call.receiver)?.type !== 'Contract') return refusal('CONTRACT_VALIDATE_ERROR', 'Smart contract is not exist.');
  try {
    validateTrigger(call, req.view);
  } catch (err) {
    return validationRefusal(err);
  }
  return constantAnswer(req, value, call, int64Param(req.params, 'fee_limit'));
};

const estimateEnergyHandler: Handler = (req) => {
  const { call } = triggerFromRequest(req.params);
  if (req.view.account(call.receiver)?.type !== 'Contract') return refusal('CONTRACT_VALIDATE_ERROR', 'Smart contract is not exist.');
  try {
    validateTrigger(call, req.view);
  } catch (err) {
    return validationRefusal(err);
  }
  const { run } = constantCall(req.view, call, 0n);
  if (run.revert) return { result: { code: 'CONTRACT_EXE_ERROR', message: hex('REVERT opcode executed') } };
  return { result: { result: true }, energy_required: estimateEnergy(run.energy) };
};

/** SmartContract as getcontract prints it; addresses base58 when `visible`. */
function smartContractJson(req: WalletRequest, address: string): Record<string, unknown> {
  const a = (h: string): string => (req.visible ? toBase58(h) : h);
  if (address !== USDT_HEX) return { contract_address: a(address) };
  return {
    origin_address: a(USDT_ORIGIN_HEX),
    contract_address: a(USDT_HEX),
    abi: { entrys: USDT_ABI },
    consume_user_resource_percent: 100,
    name: USDT_CONTRACT_NAME,
    origin_energy_limit: USDT_ORIGIN_ENERGY_LIMIT,
  };
}

function contractAddressParam(req: WalletRequest): string | null {
  const address = toHexAddress(req.params.value);
  if (address === null) return null;
  return req.view.account(address)?.type === 'Contract' ? address : null;
}

export const contractReadHandlers: Record<string, Handler> = {
  triggerconstantcontract: triggerConstantContract,
  estimateenergy: estimateEnergyHandler,
};

export const contractFullNodeHandlers: Record<string, Handler> = {
  triggersmartcontract: triggerSmartContract,
  getcontract: (req) => {
    const address = contractAddressParam(req);
    return address === null ? {} : smartContractJson(req, address);
  },
  getcontractinfo: (req) => {
    const address = contractAddressParam(req);
    if (address === null) return {};
    // The devnet runs USDT natively: there is no runtime code to show.
    return { smart_contract: smartContractJson(req, address), contract_state: {} };
  },
};
