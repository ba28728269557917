import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { TronWeb } from 'tronweb';

/** A fixed test mnemonic (BIP39's all-"abandon" vector): never holds anything. */
export const TEST_MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

/** The account xpub at m/44'/195'/0' of TEST_MNEMONIC, derived here, not copied from anywhere. */
export const TEST_XPUB = HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC)).derive("m/44'/195'/0'").publicExtendedKey;

/** The address TronWeb derives from the private key at m/44'/195'/0'/0/<index>: the reference the derivation is checked against. */
export function tronWebAddressAt(index: number): string {
  return (TronWeb.fromMnemonic(TEST_MNEMONIC, `m/44'/195'/0'/0/${index}`) as { address: string }).address;
}
