// Shape letters used in the ops' comments (llm.c's legend):
//   B batch, T sequence length (tokens), C channels (hidden size), H heads, D head size (C / H),
//   N rows (any flattening of leading dimensions), K classes, I input features, O output features.
// Every forward records an `BackwardOp` value whose fields are what the backward needs, and
// every backward adds (+=) into its inputs' gradients.
