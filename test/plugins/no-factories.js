export const apiVersion = 1;
export const factories = [];
