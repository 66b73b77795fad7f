/**
 * Reading the Kubernetes manifests of deploy/kubernetes: their objects, the
 * pod spec of their workload, and a container's mounts, env and ports, typed
 * loosely (only what the tests look at).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Volume {
  name: string;
  configMap?: { name: string };
  emptyDir?: Record<string, unknown>;
  hostPath?: { path: string; type?: string };
}

export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
}

export interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

/** Every object of a multi-document YAML file; a YAML error or warning throws. */
export function readManifest(file: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: no YAML documents`);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

const WORKLOADS = ['Deployment', 'DaemonSet', 'StatefulSet'];

/** The pod template of the file's one workload. */
export function podTemplate(objects: K8sObject[]): PodTemplate {
  const workloads = objects.filter((o) => WORKLOADS.includes(o.kind));
  if (workloads.length !== 1) throw new Error(`expected one workload, found ${workloads.length}`);
  return workloads[0].spec!.template as PodTemplate;
}

/** Kubernetes memory quantities (`128Mi`, `1Gi`, `500M`, bytes) in MiB. */
export function mebibytes(quantity: string | number): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!m) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = { '': 1 / 2 ** 20, Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 ** 2, k: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, T: 1e12 / 2 ** 20 };
  return Number(m[1]) * factor[m[2] ?? ''];
}

/** Kubernetes CPU quantities (`50m`, `0.5`, `2`) in millicores. */
export function millicores(quantity: string | number): number {
  const m = /^([0-9.]+)(m)?$/.exec(String(quantity));
  if (!m) throw new Error(`not a CPU quantity: ${quantity}`);
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}
