/** Options of `nx g @ffreis/nx-images:image` (its contract: schema.json beside this file). */
export interface ImageGeneratorOptions {
  name: string;
  parent: string;
}
