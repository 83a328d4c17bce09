import type { CookieJar } from "@/lib/auth/auth-service";

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
