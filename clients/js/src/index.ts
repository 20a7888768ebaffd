// The Sluice client for @solana/kit: the code Codama generates from idl/sluice.json, and the
// few things generation cannot know — every PDA the program derives, its integer math for
// prices, previews and batch planning, error names by code, event decoding, and sending with
// confirmation.
export * from './generated';
export * from './pda';
export * from './math';
export * from './batch';
export * from './basket';
export * from './errors';
export * from './anchorErrors';
export * from './events';
export * from './send';
