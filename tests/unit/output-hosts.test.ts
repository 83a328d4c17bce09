import { describe, expect, it } from "vitest";
import { allowedOutputUrl } from "@/lib/models/output-hosts";

const allowed = (url: unknown, baseUrl?: string) => allowedOutputUrl(url, baseUrl) !== null;

describe("allowedOutputUrl", () => {
  it("accepts Replicate's delivery host and its subdomains over https", () => {
    expect(allowed("https://replicate.delivery/xezq/abc/out-0.png")).toBe(true);
    expect(allowed("https://pbxt.replicate.delivery/abc/out-0.png")).toBe(true);
    expect(allowed("https://REPLICATE.delivery/abc/out-0.png")).toBe(true);
  });

  it.each([
    "https://evil.com/out-0.png",
    "https://replicate.delivery.evil.com/out-0.png",
    "https://evilreplicate.delivery/out-0.png",
    "https://replicate.delivery@evil.com/out-0.png",
    "http://replicate.delivery/xezq/abc/out-0.png",
    "https://replicate.delivery:8443/out-0.png",
    "https://user:pass@replicate.delivery/out-0.png",
    "ftp://replicate.delivery/out-0.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "/xezq/abc/out-0.png",
    "not a url",
  ])("refuses %s", (url) => {
    expect(allowed(url)).toBe(false);
  });

  it("refuses what is not a string", () => {
    expect(allowed(undefined)).toBe(false);
    expect(allowed(["https://replicate.delivery/a.png"])).toBe(false);
  });

  it("accepts the host of REPLICATE_BASE_URL when one is set, and only that host and port", () => {
    expect(allowed("https://replicate.example.com/files/out.png", "https://replicate.example.com/v1")).toBe(true);
    expect(allowed("https://replicate.example.com/files/out.png")).toBe(false);
    expect(allowed("https://replicate.example.com:444/files/out.png", "https://replicate.example.com/v1")).toBe(false);
    expect(allowed("https://other.example.com/files/out.png", "https://replicate.example.com/v1")).toBe(false);
  });

  it("allows http only for an http REPLICATE_BASE_URL's own host", () => {
    expect(allowed("http://localhost:5000/files/out.png", "http://localhost:5000/v1")).toBe(true);
    expect(allowed("http://localhost:5001/files/out.png", "http://localhost:5000/v1")).toBe(false);
    expect(allowed("http://replicate.example.com/files/out.png", "https://replicate.example.com/v1")).toBe(false);
    expect(allowed("http://replicate.delivery/out.png", "http://localhost:5000/v1")).toBe(false);
  });
});
