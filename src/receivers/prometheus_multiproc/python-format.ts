/** Moved to src/encoding/python-float.ts (the Prometheus exporter formats bucket bounds with it too). */
export { floatToGoString, pythonFloatRepr } from '../../encoding/python-float.js';
