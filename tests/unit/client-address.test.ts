import { describe, expect, it } from "vitest";
import { clientAddressFrom } from "@/lib/auth/client-address";
import { parseServerEnv } from "@/lib/env";
import { stampPeerAddress } from "@/lib/http/peer-address";

/** Request headers as Next hands them to the app, with the socket's address stamped when known. */
function headersFrom(sent: Record<string, string>, socket?: string): Headers {
  const raw: Record<string, string | string[] | undefined> = { ...sent };
  if (socket) stampPeerAddress(raw, socket);
  return new Headers(raw as Record<string, string>);
}

const trustFrom = (env: Record<string, string>) => parseServerEnv(env).trustedProxies;

describe("clientAddressFrom", () => {
  describe("with no trusted proxy configured (the default off Vercel)", () => {
    const trust = trustFrom({});

    it("uses the socket's address, whatever forwarded headers the client sent", () => {
      const sent = { "x-forwarded-for": "198.51.100.1", "x-real-ip": "198.51.100.2", "x-vercel-forwarded-for": "198.51.100.3" };
      expect(clientAddressFrom(headersFrom(sent, "203.0.113.9"), trust)).toBe("203.0.113.9");
    });

    it("does not believe a client that sends the stamp header itself", () => {
      const forged = headersFrom({ "x-sdxl-peer-address": "anything 198.51.100.1", "x-forwarded-for": "198.51.100.1" });
      expect(clientAddressFrom(forged, trust)).toBeNull();
    });

    it("reads an IPv4-mapped IPv6 socket address as IPv4", () => {
      expect(clientAddressFrom(headersFrom({}, "::ffff:203.0.113.9"), trust)).toBe("203.0.113.9");
    });
  });

  describe("with TRUSTED_PROXIES", () => {
    const trust = trustFrom({ TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.1" });

    it("walks X-Forwarded-For from the right past the trusted proxies only", () => {
      const sent = { "x-forwarded-for": "198.51.100.66, 203.0.113.9, 10.1.2.3" };
      expect(clientAddressFrom(headersFrom(sent, "192.0.2.1"), trust)).toBe("203.0.113.9");
    });

    it("ignores forwarded headers from a peer that is not a trusted proxy", () => {
      const sent = { "x-forwarded-for": "198.51.100.66" };
      expect(clientAddressFrom(headersFrom(sent, "203.0.113.50"), trust)).toBe("203.0.113.50");
    });

    it("stops at the leftmost entry when every hop is trusted", () => {
      expect(clientAddressFrom(headersFrom({ "x-forwarded-for": "10.0.0.7" }, "192.0.2.1"), trust)).toBe("10.0.0.7");
    });

    it("refuses a list that is not addresses", () => {
      expect(() => trustFrom({ TRUSTED_PROXIES: "my-load-balancer" })).toThrow(/TRUSTED_PROXIES/);
    });
  });

  describe("on Vercel", () => {
    it("trusts Vercel's own headers by default (VERCEL=1), which its edge overwrites", () => {
      const trust = trustFrom({ VERCEL: "1" });
      const sent = { "x-vercel-forwarded-for": "203.0.113.9", "x-forwarded-for": "198.51.100.1", "x-real-ip": "203.0.113.9" };
      expect(clientAddressFrom(headersFrom(sent), trust)).toBe("203.0.113.9");
    });

    it("can be told to use the socket instead", () => {
      const trust = trustFrom({ VERCEL: "1", TRUSTED_PROXIES: "none" });
      expect(clientAddressFrom(headersFrom({ "x-vercel-forwarded-for": "198.51.100.1" }, "203.0.113.9"), trust)).toBe("203.0.113.9");
    });
  });
});
