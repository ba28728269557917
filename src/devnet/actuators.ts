// The system contracts the devnet executes, by their JSON type name.
import { accountPermissionUpdate } from './account-permission-update.js';
import type { Actuator } from './actuator.js';
import { delegateResource } from './delegate-resource.js';
import { freezeBalanceV2 } from './freeze-balance-v2.js';
import { transfer } from './transfer.js';
import { triggerSmartContract } from './trigger-smart-contract.js';
import { undelegateResource } from './undelegate-resource.js';

export const actuators: Readonly<Record<string, Actuator>> = {
  TransferContract: transfer,
  FreezeBalanceV2Contract: freezeBalanceV2,
  DelegateResourceContract: delegateResource,
  UnDelegateResourceContract: undelegateResource,
  AccountPermissionUpdateContract: accountPermissionUpdate,
  TriggerSmartContract: triggerSmartContract,
};
