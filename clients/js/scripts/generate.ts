// Renders the kit client of the Sluice program from the committed IDL (idl/sluice.json)
// with Codama: instructions, accounts, errors, defined types, the PDAs whose seeds the IDL
// knows, and the program's events (codecs and discriminators).
//
//   npm run generate                  writes src/generated/
//   tsx scripts/generate.ts DIR       writes DIR/src/generated/ (check-generated.ts compares)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { rootNodeFromAnchor, type AnchorIdl } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import {
  bottomUpTransformerVisitor,
  camelCase,
  createFromRoot,
  definedTypeNode,
  isNode,
  pascalCase,
  pdaLinkNode,
  pdaNode,
  programNode,
  rootNode,
  snakeCase,
  updateDefinedTypesVisitor,
  type BytesValueNode,
  type Node,
  type RootNode,
} from 'codama';
import { getBase16Encoder, getBase58Encoder, getBase64Encoder, getUtf8Encoder } from '@solana/kit';
import { format } from 'prettier';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const idlPath = path.resolve(clientDir, '../../idl/sluice.json');
export const generatedFolder = 'src/generated';

/** The IDL as Codama reads it, with PDAs named by seed, one type renamed, and the event bodies as types. */
export function sluiceRoot(idl: AnchorIdl): RootNode {
  // Anchor names an extracted PDA after the account that uses it, so the pool's vault and a
  // basket's vault would both be "vault". Name each by its constant first seed instead
  // ("vault", "basket_vault", "amm_lp", …), as app/sdk/src/pda.rs does.
  const root = withArgsTypesRenamed(withPdasNamedBySeed(quietly(() => rootNodeFromAnchor(idl))));
  // Each event's body as a defined type, so the renderer emits its codec (types/deposited.ts).
  const program = root.program;
  const taken = new Set(program.definedTypes.map((t) => t.name));
  const eventTypes = program.events.map((event) => {
    if (taken.has(event.name)) throw new Error(`event ${event.name} shares its name with a defined type`);
    const body = isNode(event.data, 'hiddenPrefixTypeNode') ? event.data.type : event.data;
    return definedTypeNode({ name: event.name, type: body, docs: event.docs });
  });
  return rootNode(
    programNode({ ...program, definedTypes: [...program.definedTypes, ...eventTypes] }),
    root.additionalPrograms,
  );
}

/**
 * The renderer names the encoder input of a type `X` "XArgs"; where the IDL also has a type
 * called `XArgs` (`Constituent` and `ConstituentArgs`, the terms `add_constituent` and
 * `update_constituent` take), the latter is called `XTerms` in this client.
 */
function withArgsTypesRenamed(root: RootNode): RootNode {
  const names = new Set<string>(root.program.definedTypes.map((t) => t.name));
  const renames: Record<string, { name: string }> = {};
  for (const name of names) {
    const args = `${name}Args`;
    if (names.has(args)) renames[args] = { name: `${name}Terms` };
  }
  return updateDefinedTypesVisitor(renames).visitRoot(root) as RootNode;
}

function withPdasNamedBySeed(root: RootNode): RootNode {
  const names = new Map<string, string>();
  for (const pda of root.program.pdas) {
    const first = pda.seeds[0];
    if (!first || !isNode(first, 'constantPdaSeedNode') || !isNode(first.value, 'bytesValueNode')) {
      continue;
    }
    const seed = Buffer.from(bytesOf(first.value)).toString('utf8');
    names.set(pda.name, camelCase(seed));
  }
  const seen = new Set<string>();
  for (const name of names.values()) {
    if (seen.has(name)) throw new Error(`two PDAs of the IDL start with the seed ${snakeCase(name)}`);
    seen.add(name);
  }
  const rename = (name: string) => names.get(name) ?? name;
  return bottomUpTransformerVisitor([
    {
      select: '[pdaNode]',
      transform: (node: Node) => (isNode(node, 'pdaNode') ? pdaNode({ ...node, name: rename(node.name) }) : node),
    },
    {
      select: '[pdaLinkNode]',
      transform: (node: Node) => (isNode(node, 'pdaLinkNode') ? pdaLinkNode(rename(node.name), node.program) : node),
    },
  ]).visitRoot(root) as RootNode;
}

/** The bytes of a Codama bytes value, whatever its encoding. */
function bytesOf(value: BytesValueNode): Uint8Array {
  const encoders = {
    base16: getBase16Encoder,
    base58: getBase58Encoder,
    base64: getBase64Encoder,
    utf8: getUtf8Encoder,
  };
  return new Uint8Array(encoders[value.encoding]().encode(value.data));
}

/** Runs `make` without the reader's notes on PDA names, which sluiceRoot replaces anyway. */
function quietly<T>(make: () => T): T {
  const warn = console.warn;
  const log = console.log;
  const filter =
    (out: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (!String(args[0]).startsWith('PDA name collision')) out(...args);
    };
  console.warn = filter(warn);
  console.log = filter(log);
  try {
    return make();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

/** src/generated/events.ts: every event's name, discriminator and decoder. */
async function renderEvents(root: RootNode): Promise<string> {
  const events = root.program.events;
  const lines: string[] = [
    '/**',
    ' * This code was AUTOGENERATED by scripts/generate.ts from the Codama root of',
    " * idl/sluice.json: the program's events (`emit!`), each a discriminator — the first",
    ' * 8 bytes of sha256("event:<Name>") — followed by the Borsh body of its type.',
    ' * Please DO NOT EDIT THIS FILE; run `npm run generate`.',
    ' */',
    '',
    "import { type Decoder, type ReadonlyUint8Array } from '@solana/kit';",
    `import { ${events
      .flatMap((e) => [`get${pascalCase(e.name)}Decoder`, `type ${pascalCase(e.name)}`])
      .join(', ')} } from './types';`,
    '',
  ];
  for (const e of events) {
    const discriminator = e.discriminators?.find((d) => isNode(d, 'constantDiscriminatorNode'));
    if (!discriminator || !isNode(discriminator.constant.value, 'bytesValueNode')) {
      throw new Error(`event ${e.name} has no constant discriminator`);
    }
    const bytes = [...bytesOf(discriminator.constant.value)];
    lines.push(
      `export const ${snakeCase(e.name).toUpperCase()}_EVENT_DISCRIMINATOR: ReadonlyUint8Array = new Uint8Array([${bytes.join(', ')}]);`,
    );
  }
  lines.push('', '/** Every event of the program, by its name in the IDL. */', 'export type SluiceEventMap = {');
  for (const e of events) lines.push(`  ${pascalCase(e.name)}: ${pascalCase(e.name)};`);
  lines.push('};', '', 'export type SluiceEventName = keyof SluiceEventMap;', '');
  lines.push(
    'export const SLUICE_EVENTS: { readonly [N in SluiceEventName]: { readonly discriminator: ReadonlyUint8Array; readonly decoder: () => Decoder<SluiceEventMap[N]> } } = {',
  );
  for (const e of events) {
    lines.push(
      `  ${pascalCase(e.name)}: { discriminator: ${snakeCase(e.name).toUpperCase()}_EVENT_DISCRIMINATOR, decoder: get${pascalCase(e.name)}Decoder },`,
    );
  }
  lines.push('};', '');
  return format(lines.join('\n'), { parser: 'typescript' });
}

/** src/generated/errorNames.ts: every program error's code, name and message, in any bundle. */
async function renderErrorNames(root: RootNode): Promise<string> {
  const lines = [
    '/**',
    ' * This code was AUTOGENERATED by scripts/generate.ts from the Codama root of',
    " * idl/sluice.json: the program's errors by code, with their IDL names and messages",
    ' * (kept in production bundles too, unlike getSluiceErrorMessage).',
    ' * Please DO NOT EDIT THIS FILE; run `npm run generate`.',
    ' */',
    '',
    'export const SLUICE_ERROR_NAMES: { readonly [code: number]: { readonly name: string; readonly message: string } } = {',
  ];
  for (const e of root.program.errors) {
    lines.push(`  ${e.code}: { name: ${JSON.stringify(pascalCase(e.name))}, message: ${JSON.stringify(e.message)} },`);
  }
  lines.push('};', '');
  return format(lines.join('\n'), { parser: 'typescript' });
}

export async function generate(packageDir: string): Promise<void> {
  const idl = JSON.parse(readFileSync(idlPath, 'utf8')) as AnchorIdl;
  const root = sluiceRoot(idl);
  await createFromRoot(root).accept(
    renderVisitor(packageDir, {
      generatedFolder,
      deleteFolderBeforeRendering: true,
      // package.json is kept by hand; the lockfile pins what the code imports.
      syncPackageJson: false,
      // One dependency: everything from @solana/kit (and its program-client-core subpath).
      kitImportStrategy: 'rootOnly',
    }),
  );
  const out = path.join(packageDir, generatedFolder);
  writeFileSync(path.join(out, 'events.ts'), await renderEvents(root));
  writeFileSync(path.join(out, 'errorNames.ts'), await renderErrorNames(root));
  const index = path.join(out, 'index.ts');
  writeFileSync(
    index,
    readFileSync(index, 'utf8').trimEnd() + '\nexport * from "./errorNames";\nexport * from "./events";\n',
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = path.resolve(process.argv[2] ?? clientDir);
  await generate(target);
  console.log(`generated ${path.join(target, generatedFolder)} from ${path.relative(clientDir, idlPath)}`);
}
