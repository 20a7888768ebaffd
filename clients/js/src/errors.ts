// Program errors by code, and the code of a refused transaction: Sluice's own (6000 and up,
// from the IDL through src/generated/errorNames.ts) and Anchor's framework codes.
import {
  isSolanaError,
  SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM,
  SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
  type Address,
} from '@solana/kit';

import { ANCHOR_ERROR_NAMES } from './anchorErrors';
import { SLUICE_ERROR_NAMES, SLUICE_PROGRAM_ADDRESS } from './generated';

export type ProgramErrorInfo = {
  code: number;
  name: string;
  message: string;
  /** Who defines the code: Sluice's `SluiceError`, or Anchor's `ErrorCode`. */
  source: 'sluice' | 'anchor';
};

/** The error a Sluice instruction returns as `Custom(code)`, or `null` for a code neither defines. */
export function programErrorByCode(code: number): ProgramErrorInfo | null {
  const sluice = SLUICE_ERROR_NAMES[code];
  if (sluice) return { code, ...sluice, source: 'sluice' };
  const anchor = ANCHOR_ERROR_NAMES[code];
  if (anchor) return { code, ...anchor, source: 'anchor' };
  return null;
}

/** The code of a named error (`"ZeroAmount"` → 6017), Sluice's first, then Anchor's. */
export function programErrorCode(name: string): number | null {
  for (const table of [SLUICE_ERROR_NAMES, ANCHOR_ERROR_NAMES]) {
    for (const [code, entry] of Object.entries(table)) if (entry.name === name) return Number(code);
  }
  return null;
}

/** A refusal found in a failed transaction: which instruction, its code, and what it means. */
export type ProgramFailure = ProgramErrorInfo & {
  instructionIndex: number;
  /** The program that failed, where the caller gave the transaction's instructions. */
  programAddress?: Address;
  /** The transaction's logs, where the node returned them (a failed preflight does). */
  logs?: readonly string[];
};

type InstructionsOf = { instructions: Record<number, { programAddress: Address }> };

/**
 * The program error inside `error`, whatever carried it: a kit `SolanaError` from
 * `sendTransaction`'s preflight or from a confirmed transaction's status (its cause chain
 * ends in `InstructionError::Custom`), or a raw `{ InstructionError: [i, { Custom: n }] }`
 * status. With the transaction's message, only a failure of a Sluice instruction counts.
 */
export function sluiceFailureOf(error: unknown, message?: InstructionsOf): ProgramFailure | null {
  let logs: readonly string[] | undefined;
  let custom: { code: number; index: number } | null = null;
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (isSolanaError(e, SOLANA_ERROR__JSON_RPC__SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE)) {
      logs = e.context.logs ?? undefined;
    }
    if (isSolanaError(e, SOLANA_ERROR__INSTRUCTION_ERROR__CUSTOM)) {
      custom = { code: Number(e.context.code), index: Number(e.context.index) };
      break;
    }
    const raw = rawCustom(e);
    if (raw) {
      custom = raw;
      break;
    }
  }
  if (!custom) return null;
  const programAddress = message?.instructions[custom.index]?.programAddress;
  if (message && programAddress !== SLUICE_PROGRAM_ADDRESS) return null;
  const info = programErrorByCode(custom.code) ?? {
    code: custom.code,
    name: `Custom(${custom.code})`,
    message: 'not an error of Sluice or of Anchor',
    source: 'sluice' as const,
  };
  return {
    ...info,
    instructionIndex: custom.index,
    ...(programAddress ? { programAddress } : {}),
    ...(logs ? { logs } : {}),
  };
}

/** `{ InstructionError: [index, { Custom: code }] }`, the JSON-RPC shape of a transaction error. */
function rawCustom(value: unknown): { code: number; index: number } | null {
  const ie = (value as { InstructionError?: unknown })?.InstructionError;
  if (!Array.isArray(ie) || ie.length !== 2) return null;
  const custom = (ie[1] as { Custom?: unknown })?.Custom;
  return typeof custom === 'number' || typeof custom === 'bigint'
    ? { code: Number(custom), index: Number(ie[0]) }
    : null;
}
