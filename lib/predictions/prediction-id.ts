/** Ids are the model's (Replicate's are 26 lowercase letters and digits); anything else is "not found" before any lookup. */
export const PREDICTION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
