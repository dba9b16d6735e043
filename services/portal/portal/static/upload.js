// Upload progress for forms marked data-upload-progress="<id of a <progress>>" (R23 bulk import).
// htmx 4 sends its requests with fetch(), which reports no upload progress; for these forms
// the request goes through XMLHttpRequest instead (htmx lets a request bring its own fetch in
// htmx:config:request), and its upload events move the bar. Without JavaScript the form is
// a plain multipart post.
(function () {
  "use strict";

  function headersOf(xhr) {
    var headers = new Headers();
    xhr.getAllResponseHeaders().trim().split(/[\r\n]+/).forEach(function (line) {
      var at = line.indexOf(":");
      if (at > 0) {
        headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
    });
    return headers;
  }

  function fetchWithProgress(bar) {
    return function (url, request) {
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open(request.method || "POST", url);
        Object.keys(request.headers || {}).forEach(function (name) {
          xhr.setRequestHeader(name, request.headers[name]);
        });
        bar.hidden = false;
        bar.value = 0;
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable && event.total > 0) {
            bar.value = Math.round((event.loaded / event.total) * 100);
            bar.textContent = bar.value + "%";
          }
        });
        xhr.addEventListener("load", function () {
          bar.value = 100;
          resolve(new Response(xhr.status === 204 ? null : xhr.responseText, {
            status: xhr.status,
            statusText: xhr.statusText,
            headers: headersOf(xhr),
          }));
        });
        xhr.addEventListener("error", function () { reject(new TypeError("upload failed")); });
        xhr.addEventListener("abort", function () { reject(new DOMException("aborted", "AbortError")); });
        if (request.signal) {
          request.signal.addEventListener("abort", function () { xhr.abort(); });
        }
        xhr.send(request.body);
      });
    };
  }

  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var form = ctx && ctx.sourceElement;
    if (!form || !form.dataset || !form.dataset.uploadProgress) {
      return;
    }
    var bar = document.getElementById(form.dataset.uploadProgress);
    if (bar) {
      ctx.fetch = fetchWithProgress(bar);
    }
  });
})();
