// Placeholder client: logs in, shows /api/auth/me, logs out (CSRF header from the csrf_token cookie).
const out = document.getElementById("out");
const logoutButton = document.getElementById("logout");
const csrf = () => (document.cookie.match(/(?:^|; )csrf_token=([^;]+)/) || [])[1] || "";

async function me() {
  const response = await fetch("/api/auth/me");
  out.textContent = response.ok ? JSON.stringify(await response.json(), null, 2) : "Not logged in.";
  logoutButton.hidden = !response.ok;
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch("/api/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(Object.fromEntries(form)),
  });
  if (!response.ok) {
    out.textContent = (await response.json()).detail;
    return;
  }
  await me();
});

logoutButton.addEventListener("click", async () => {
  await fetch("/api/auth/logout", { method: "POST", headers: { "X-CSRF-Token": csrf() } });
  await me();
});

me();
