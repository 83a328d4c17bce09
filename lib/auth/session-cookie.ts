/** Kept free of imports so the proxy can read it without loading server code. */
export const SESSION_COOKIE = "sdxl-session";
