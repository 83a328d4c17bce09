// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NavLink } from "@/components/nav-link";
import { AppLink } from "@/components/ui/app-link";

const navigation = vi.hoisted(() => ({ router: { push: vi.fn() }, pathname: "/dashboard" }));
vi.mock("next/navigation", () => ({ useRouter: () => navigation.router, usePathname: () => navigation.pathname }));

afterEach(() => {
  cleanup();
  navigation.router.push.mockReset();
});

/** Whether the browser would still follow the link itself (nothing called preventDefault). */
function clickLink(link: HTMLElement, init: MouseEventInit = {}): boolean {
  return fireEvent.click(link, { button: 0, ...init });
}

describe("AppLink", () => {
  it("is a real link, so it works before hydration, in a new tab and for screen readers", () => {
    render(<AppLink href="/dashboard?cursor=abc" className="x">Older images</AppLink>);
    const link = screen.getByRole("link", { name: "Older images" });
    expect(link.getAttribute("href")).toBe("/dashboard?cursor=abc");
    expect(link.className).toBe("x");
  });

  it("moves through the App Router on a plain click, without reloading the document", async () => {
    render(<AppLink href="/dashboard/generate">Generate</AppLink>);
    await userEvent.click(screen.getByRole("link", { name: "Generate" }));
    expect(navigation.router.push).toHaveBeenCalledExactlyOnceWith("/dashboard/generate");
  });

  it.each([
    ["Ctrl (new tab)", { ctrlKey: true }],
    ["⌘ (new tab)", { metaKey: true }],
    ["Shift (new window)", { shiftKey: true }],
    ["Alt (download)", { altKey: true }],
    ["the middle button", { button: 1 }],
  ])("leaves a click with %s to the browser", (_, init) => {
    render(<AppLink href="/dashboard">Gallery</AppLink>);
    expect(clickLink(screen.getByRole("link", { name: "Gallery" }), init)).toBe(true);
    expect(navigation.router.push).not.toHaveBeenCalled();
  });

  it("leaves links that open elsewhere or download to the browser", () => {
    render(
      <>
        <AppLink href="/dashboard" target="_blank">New tab</AppLink>
        <AppLink href="/api/files/a.png" download="a.png">Download</AppLink>
      </>,
    );
    expect(clickLink(screen.getByRole("link", { name: "New tab" }))).toBe(true);
    expect(clickLink(screen.getByRole("link", { name: "Download" }))).toBe(true);
    expect(navigation.router.push).not.toHaveBeenCalled();
  });

  it("runs its own onClick first, and stays put when that handler cancels the click", () => {
    const onClick = vi.fn((event: React.MouseEvent) => event.preventDefault());
    render(<AppLink href="/dashboard" onClick={onClick}>Gallery</AppLink>);
    clickLink(screen.getByRole("link", { name: "Gallery" }));
    expect(onClick).toHaveBeenCalledOnce();
    expect(navigation.router.push).not.toHaveBeenCalled();
  });
});

describe("NavLink", () => {
  it("marks only the link to the open page as current", () => {
    navigation.pathname = "/dashboard/generate";
    render(
      <>
        <NavLink href="/dashboard/generate">Generate</NavLink>
        <NavLink href="/dashboard">Gallery</NavLink>
      </>,
    );
    expect(screen.getByRole("link", { name: "Generate" }).getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("link", { name: "Gallery" }).hasAttribute("aria-current")).toBe(false);
  });
});
