// Once a passkey is registered, the page shows it in the list.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
