export const apiVersion = 1;
export const factories = [{ kind: 'exporter', type: 'half_done', description: 'no create()' }];
