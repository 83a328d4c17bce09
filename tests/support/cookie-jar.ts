import type { AuthService, CookieJar } from "@/lib/auth/auth-service";
import type { SessionUser } from "@/lib/predictions/ports";

/**
 * Stands in for Next's request cookies in tests that call route handlers and
 * server actions directly. Tests switch "who is calling" by swapping the jar's
 * contents, exactly as a browser would send a different cookie.
 */
export class TestCookieJar implements CookieJar {
  private readonly values = new Map<string, string>();

  get(name: string) {
    const value = this.values.get(name);
    return value === undefined ? undefined : { value };
  }
  set(name: string, value: string) {
    this.values.set(name, value);
  }
  delete(name: string) {
    this.values.delete(name);
  }
  has(name: string) {
    return this.values.has(name);
  }
  getAll() {
    return [...this.values].map(([name, value]) => ({ name, value }));
  }
  snapshot(): Map<string, string> {
    return new Map(this.values);
  }
  restore(snapshot: Map<string, string>) {
    this.values.clear();
    for (const [name, value] of snapshot) this.values.set(name, value);
  }
  clear() {
    this.values.clear();
  }
}

export const testCookies = new TestCookieJar();

/**
 * Signing up and switching "who is calling", the same for every backend: a
 * session is just the cookies the backend's auth set, replayed later.
 */
export function sessionsFor(auth: AuthService) {
  return {
    async signUp(email: string, password = "correct horse battery"): Promise<{ user: SessionUser; cookies: Map<string, string> }> {
      testCookies.clear();
      const user = await auth.signUp({ email, password }, testCookies);
      return { user, cookies: testCookies.snapshot() };
    },
    actAs(session: { cookies: Map<string, string> } | null) {
      if (session) testCookies.restore(session.cookies);
      else testCookies.clear();
    },
  };
}
