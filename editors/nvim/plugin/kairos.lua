-- kairos for Neovim 0.10+: user commands, progress and the status of kairos-lsp.
-- The server itself is configured in lsp/kairos.lua (vim.lsp.enable("kairos") on 0.11+),
-- or through nvim-lspconfig (editors/README.md).
if vim.g.loaded_kairos then
  return
end
vim.g.loaded_kairos = true

local function kairos()
  return require("kairos")
end

local command = vim.api.nvim_create_user_command
command("KairosStatus", function() kairos().status() end, { desc = "kairos: the memory's counts and last dream" })
command("KairosDream", function() kairos().dream() end, { desc = "kairos: consolidate now" })
command("KairosForget", function(o) kairos().forget(o.args) end,
  { nargs = "?", complete = "file", desc = "kairos: forget a file (default: this buffer)" })
command("KairosReview", function(o) kairos().review(o.bang) end,
  { bang = true, desc = "kairos: what the dreams changed since you last looked, in quickfix (! marks it seen)" })
command("KairosConfirm", function(o) kairos().judge(true, o.args) end,
  { nargs = "?", desc = "kairos: confirm the fact under the cursor in the review (or a fact id)" })
command("KairosReject", function(o) kairos().judge(false, o.args) end,
  { nargs = "?", desc = "kairos: reject the fact under the cursor in the review (or a fact id)" })

vim.lsp.handlers["kairos/status"] = function(...) return kairos().on_status(...) end

local group = vim.api.nvim_create_augroup("kairos", { clear = true })
vim.api.nvim_create_autocmd("LspProgress", { group = group, callback = function(ev) kairos().on_progress(ev) end })
vim.api.nvim_create_autocmd("FileType", {
  group = group,
  pattern = "qf",
  callback = function(ev) kairos().setup_quickfix(ev.buf) end,
})
