-- kairos-lsp for Neovim 0.11+: put editors/nvim on the runtimepath, then
--   vim.lsp.enable("kairos")
-- The workspace is the nearest folder with a .kairos memory or a .git repository
-- (equally near: a .kairos far above never wins over the project's own .git).
return {
  cmd = { "kairos-lsp" },
  filetypes = { "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java" },
  root_markers = vim.fn.has("nvim-0.11.3") == 1 and { { ".kairos", ".git" } } or { ".git", ".kairos" },
  init_options = {
    dream = { idleSeconds = 30 },
    llm = { provider = "none" },
  },
  -- Neovim tells servers of files changed on disk (a checkout, a pull) only on macOS and
  -- Windows by default; on Linux its watcher is cheap when inotifywait (inotify-tools) is
  -- installed, so kairos asks for it there. Without it the server watches the workspace itself.
  capabilities = vim.fn.executable("inotifywait") == 1
      and { workspace = { didChangeWatchedFiles = { dynamicRegistration = true } } }
    or nil,
}
