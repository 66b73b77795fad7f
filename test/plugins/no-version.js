// A plugin that forgot to say which API it was written for.
export const factories = [];
