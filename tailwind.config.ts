import type { Config } from "tailwindcss";

// Tailwind 4 reads its theme from CSS (app/globals.css, loaded with @config);
// this file names the sources and keeps dark mode on the system setting.
const config: Config = {
  content: ["./app/**/*.{ts,tsx}", "./components/**/*.{ts,tsx}"],
  darkMode: "media",
};

export default config;
