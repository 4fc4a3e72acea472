-- kairos-lsp for Neovim 0.11+: put editors/nvim on the runtimepath, then
--   vim.lsp.enable("kairos")
return {
  cmd = { "kairos-lsp" },
  filetypes = { "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java" },
  root_markers = { ".kairos", ".git" },
  init_options = {
    dream = { idleSeconds = 30 },
    llm = { provider = "none" },
  },
}
