/// The console's style sheet and script, in the binary (no external resources, nothing fetched;
/// the Content-Security-Policy allows only these, from this origin).
enum Assets {
    static let css = """
        * { box-sizing: border-box; }
        body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; color: #222; background: #f7f7f8; font-size: 14px; }
        header { background: #1f3a5f; color: #fff; padding: 0.5em 1.2em; display: flex; gap: 1.2em; align-items: center; flex-wrap: wrap; }
        header a { color: #fff; text-decoration: none; } header a.on { font-weight: bold; border-bottom: 2px solid #fff; }
        header .who { margin-left: auto; } header form { display: inline; } header button { background: none; border: 1px solid #fff; color: #fff; cursor: pointer; }
        main { padding: 1em 1.5em; max-width: 1400px; margin: 0 auto; }
        h1 { font-size: 1.4em; margin: 0.3em 0 0.6em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
        table { border-collapse: collapse; width: 100%; background: #fff; } td, th { border-bottom: 1px solid #e5e5e5; padding: 0.4em 0.5em; text-align: left; vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; white-space: nowrap; } tr:hover td { background: #fafbfd; }
        mark { background: #fde2e1; color: #a00; font-weight: bold; padding: 0 1px; }
        .ctl { color: #a00; font-family: monospace; font-size: 0.85em; background: #fff3cd; }
        .sev-critical, .sev-high, .sev-medium, .sev-low { white-space: nowrap; }
        .sev-critical { color: #fff; background: #a93226; padding: 1px 6px; border-radius: 3px; }
        .sev-high { color: #fff; background: #d35400; padding: 1px 6px; border-radius: 3px; }
        .sev-medium { color: #000; background: #f4d03f; padding: 1px 6px; border-radius: 3px; }
        .sev-low { color: #000; background: #d5dbdb; padding: 1px 6px; border-radius: 3px; }
        .status { white-space: nowrap; } .pending-dismissal { color: #a93226; font-weight: bold; }
        form.filters { display: flex; flex-wrap: wrap; gap: 0.5em 1em; background: #fff; padding: 0.8em; border: 1px solid #e5e5e5; margin-bottom: 0.8em; }
        form.filters label { display: flex; flex-direction: column; font-size: 0.85em; color: #555; }
        input, select, textarea, button { font: inherit; padding: 0.25em 0.4em; }
        button { cursor: pointer; } button.primary { background: #1f3a5f; color: #fff; border: 1px solid #1f3a5f; }
        .bulk { background: #fff; border: 1px solid #e5e5e5; padding: 0.6em; margin: 0.6em 0; display: flex; flex-wrap: wrap; gap: 0.6em; align-items: center; }
        .pager { margin: 0.8em 0; display: flex; gap: 1em; align-items: center; }
        .muted { color: #777; } .small { font-size: 0.85em; } .id { font-family: monospace; font-size: 0.85em; color: #555; }
        .flash { background: #e8f6ef; border: 1px solid #27ae60; padding: 0.5em 0.8em; margin-bottom: 0.8em; }
        .error { background: #fdecea; border: 1px solid #c0392b; padding: 0.5em 0.8em; margin-bottom: 0.8em; }
        .card { background: #fff; border: 1px solid #e5e5e5; padding: 0.8em 1em; margin-bottom: 1em; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1em; margin: 0; } dl.facts dt { color: #666; }
        .evidence { font-size: 1.15em; line-height: 1.7; background: #fffdf5; border-left: 4px solid #d35400; padding: 0.6em 0.8em; white-space: pre-wrap; word-break: break-all; }
        .conversation li { list-style: none; padding: 0.3em 0.5em; border-bottom: 1px dashed #eee; white-space: pre-wrap; word-break: break-all; }
        .conversation li.hit { background: #fff6e5; border-left: 4px solid #d35400; } .conversation ul { padding: 0; }
        .recalled { color: #a93226; font-size: 0.85em; }
        .actions form { display: inline-block; margin: 0 0.5em 0.5em 0; vertical-align: top; }
        .login { max-width: 360px; margin: 8em auto; background: #fff; padding: 1.5em 2em; border: 1px solid #ddd; }
        .login label { display: block; margin: 0.8em 0; } .login input { width: 100%; }
        .saved a { margin-right: 1em; } form.inline { display: inline; }
        """

    /// Select-all for the queue's checkboxes and a count to confirm before acting on a whole
    /// filter. Nothing here touches chat text.
    static let js = """
        document.addEventListener('DOMContentLoaded', function () {
          var all = document.getElementById('select-all');
          if (all) {
            all.addEventListener('change', function () {
              document.querySelectorAll('input[name=id]').forEach(function (box) { box.checked = all.checked; });
            });
          }
          document.querySelectorAll('form[data-confirm]').forEach(function (form) {
            form.addEventListener('submit', function (event) {
              var whole = form.querySelector('input[name=target][value=filter]');
              if (whole && whole.checked && !window.confirm(form.getAttribute('data-confirm'))) { event.preventDefault(); }
            });
          });
        });
        """
}
