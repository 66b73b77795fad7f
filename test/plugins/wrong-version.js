// A plugin written for a future API version: the bridge must refuse it by name.
export const apiVersion = 2;
export const factories = [];
