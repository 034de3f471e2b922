// The JavaScript lexer the redaction reads code cells with; it lives in src/jslex.ts (the recipe runner uses it too).
export { lexLiterals, literalAround, type Literal } from '../../jslex.ts'
