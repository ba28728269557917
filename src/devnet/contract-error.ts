// Errors that map one-to-one onto java-tron broadcast response codes; the
// message is the text java-tron puts (hex-encoded) in the response.

/** ContractValidateException: the contract is refused, nothing is applied. */
export class ContractValidateError extends Error {
  override readonly name = 'ContractValidateError';
}

/** A broadcast refused before or around contract validation, with its response code. */
export class BroadcastError extends Error {
  override readonly name = 'BroadcastError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
