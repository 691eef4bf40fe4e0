// On a narrow screen the main menu and the account's links fold behind a button; on a wide
// one the stylesheet hides the button and they stay open. Without JavaScript they are shown.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  const header = document.querySelector("header.top");
  if (!button || !header) return;
  const narrow = window.matchMedia("(max-width: 40rem)");
  const set = (open) => {
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("folded", !open);
  };
  set(!narrow.matches);
  button.hidden = false;
  button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
  narrow.addEventListener("change", (event) => set(!event.matches));
});
