// The store counter's "Scan card": read the resident's card QR code with the rear camera, put the
// address it holds into the card field and send the form; the server finds the resident. Only where
// the browser reads QR codes itself (BarcodeDetector: Chrome on Android); elsewhere the button stays
// hidden and the field takes a barcode scanner's typing or the code printed on the card.
(async () => {
  const form = document.getElementById("card-form");
  if (!form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  try {
    if (!(await BarcodeDetector.getSupportedFormats()).includes("qr_code")) return;
  } catch {
    return;
  }
  const button = form.querySelector("[data-scan]");
  const video = form.querySelector("[data-scan-view]");
  const status = form.querySelector("[data-scan-status]");
  const field = form.querySelector("input[name=card]");
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  let stream = null;

  const stop = () => {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
  };

  const look = async () => {
    if (!stream) return;
    try {
      const [code] = await detector.detect(video);
      if (code && code.rawValue) {
        stop();
        field.value = code.rawValue;
        form.requestSubmit();
        return;
      }
    } catch {
      // The first frames may not be ready yet: look again.
    }
    setTimeout(look, 150);
  };

  button.hidden = false;
  button.addEventListener("click", async () => {
    if (stream) return stop();
    status.textContent = "";
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      stop();
      status.textContent = form.dataset.cameraRefused;
      field.focus();
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    look();
  });
  window.addEventListener("pagehide", stop);
})();
