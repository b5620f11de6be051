// Says at once when a chosen file is larger than the server takes, instead of sending it
// to be refused. Without JavaScript the server's answer says the same.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form) { return; }
  var max = Number(form.getAttribute("data-max-bytes"));
  var box = document.getElementById("upload-error");
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    var file = input.files && input.files[0];
    if (file && file.size > max) {
      event.preventDefault();
      box.querySelector("p").textContent = "The file is larger than " +
        form.getAttribute("data-max-size") + ": split it, or use `clearance batch`.";
      box.hidden = false;
      box.focus();
    }
  });
})();
