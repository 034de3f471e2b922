// Preloaded into every test file's process by test/run.ts: fast-check draws from KINSPECT_PROPERTY_SEED when it is a
// number (run-seed.ts), so the cases of a run can be drawn again. A property that names its own seed keeps it.
import fc from 'fast-check'

const seed = process.env.KINSPECT_PROPERTY_SEED
if (seed !== undefined && /^-?\d+$/.test(seed)) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: Number(seed) })
