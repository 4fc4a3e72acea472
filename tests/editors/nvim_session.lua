-- A real Neovim session against kairos-lsp, driven by tests/test_editor_nvim.py.
-- Reads KAIROS_TEST_ROOT (the project), KAIROS_TEST_SERVER (a JSON list: the server command),
-- KAIROS_TEST_OUT (where the results go, as JSON). Each step waits for what a user would see.
-- KAIROS_TEST_ONLY: one step's name (after "attach and scan"); KAIROS_TEST_NO_INOTIFYWAIT: the
-- kairos config finds no inotifywait, as on a machine without inotify-tools.
local root = assert(os.getenv("KAIROS_TEST_ROOT"))
local server = vim.json.decode(assert(os.getenv("KAIROS_TEST_SERVER")))
local out_file = assert(os.getenv("KAIROS_TEST_OUT"))
local out = { steps = {} }

local function save()
  local f = assert(io.open(out_file, "w"))
  f:write(vim.json.encode(out))
  f:close()
end

local only = os.getenv("KAIROS_TEST_ONLY")

local function step(name, fn)
  if only ~= nil and name ~= only and name ~= "attach and scan" then
    return
  end
  local ok, err = xpcall(fn, debug.traceback)
  table.insert(out.steps, { name = name, ok = ok, err = ok and vim.NIL or tostring(err) })
  save()
  if not ok then
    vim.cmd("qa!")
  end
end

local function wait(ms, what, cond)
  if not vim.wait(ms, cond, 50) then
    error("timed out after " .. ms .. " ms waiting for " .. what)
  end
end

local function kairos_diagnostics(bufnr, code)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == "kairos" and (code == nil or d.code == code) then
      table.insert(found, { lnum = d.lnum, col = d.col, message = d.message, code = d.code })
    end
  end
  return found
end

if os.getenv("KAIROS_TEST_NO_INOTIFYWAIT") then
  local executable = vim.fn.executable
  vim.fn.executable = function(name)
    return name == "inotifywait" and 0 or executable(name)
  end
end

vim.lsp.config("kairos", { cmd = server, init_options = { dream = { idleSeconds = 0.5 } } })
vim.lsp.enable("kairos")
local stock = root .. "/inventory/stock.py"
local pricing = root .. "/inventory/pricing.py"
local stock_buf, pricing_buf

step("attach and scan", function()
  vim.cmd.edit(stock)
  stock_buf = vim.api.nvim_get_current_buf()
  wait(20000, "the kairos client", function() return require("kairos").client(stock_buf) ~= nil end)
  -- the scan's progress reaches LspProgress, its end and state reach kairos/status
  wait(30000, "the scan's end through LspProgress", function()
    return vim.g.kairos_progress ~= nil and vim.g.kairos_progress:match("files") ~= nil
  end)
  out.progress = vim.g.kairos_progress
  wait(10000, "kairos/status", function() return vim.g.kairos_status ~= nil end)
  out.status_line = vim.g.kairos_status
end)

step("hover", function()
  vim.api.nvim_set_current_buf(stock_buf)
  local line = vim.fn.search("return price_with_tax(", "n")
  vim.api.nvim_win_set_cursor(0, { line, vim.fn.getline(line):find("price_with_tax") + 2 })
  local text
  wait(15000, "a hover window", function()
    vim.lsp.buf.hover()
    vim.wait(300)
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= "" then
        text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), "\n")
        vim.api.nvim_win_close(win, true)
        return text:find("price_with_tax") ~= nil
      end
    end
    return false
  end)
  out.hover = text
end)

step("edit the callee's signature", function()
  vim.cmd.edit(pricing)
  pricing_buf = vim.api.nvim_get_current_buf()
  local line = vim.fn.search("^def price_with_tax", "n")
  vim.api.nvim_buf_set_lines(pricing_buf, line - 1, line, false,
    { "def price_with_tax(amount: float, region: str, rate: float = TAX_RATE) -> float:" })
  vim.cmd.write()
  vim.g.kairos_last_dream = nil
  vim.cmd("KairosDream")
  wait(30000, ":KairosDream's answer", function() return vim.g.kairos_last_dream ~= nil end)
  out.dream = vim.g.kairos_last_dream
end)

step("stale-call diagnostic", function()
  vim.api.nvim_set_current_buf(stock_buf)
  wait(20000, "a stale-call diagnostic in stock.py", function() return #kairos_diagnostics(stock_buf, "stale-call") > 0 end)
  out.diagnostics = kairos_diagnostics(stock_buf)
end)

step("quick fix", function()
  local d = kairos_diagnostics(stock_buf, "stale-call")[1]
  vim.api.nvim_set_current_buf(stock_buf)
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  local titles = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      table.insert(titles, action.title)
      return action.kind == "quickfix" and action.title:find("region") ~= nil
    end,
  })
  wait(10000, "the fix applied to the buffer", function()
    return vim.api.nvim_buf_get_lines(stock_buf, d.lnum, d.lnum + 1, false)[1]:find("region") ~= nil
  end)
  out.actions = titles
  out.fixed_line = vim.api.nvim_buf_get_lines(stock_buf, d.lnum, d.lnum + 1, false)[1]
  vim.cmd.write()
  wait(20000, "the stale-call diagnostic to clear", function() return #kairos_diagnostics(stock_buf, "stale-call") == 0 end)
  out.diagnostics_after = kairos_diagnostics(stock_buf)
end)

step("review in quickfix", function()
  vim.g.kairos_review = nil
  vim.cmd("KairosReview")
  wait(15000, ":KairosReview", function() return vim.g.kairos_review ~= nil end)
  local qf = vim.fn.getqflist({ title = 0, items = 0 })
  out.review_title = qf.title
  out.review = {}
  for _, item in ipairs(qf.items) do
    table.insert(out.review, { text = item.text, file = vim.api.nvim_buf_get_name(item.bufnr), lnum = item.lnum })
  end
end)

step("reject from the quickfix window", function()
  local qf = vim.fn.getqflist({ items = 0 })
  local index
  for i, item in ipairs(qf.items) do
    if item.text:find("price_with_tax signature") then index = i end
  end
  assert(index, "no price_with_tax signature change in the review")
  vim.cmd("copen")
  vim.api.nvim_win_set_cursor(0, { index, 0 })
  vim.g.kairos_last_verdict = nil
  vim.api.nvim_feedkeys("r", "x", false) -- the review's own mapping: reject
  wait(15000, "the verdict", function() return vim.g.kairos_last_verdict ~= nil end)
  out.verdict = vim.g.kairos_last_verdict
  wait(10000, "the review to refresh", function()
    return #vim.fn.getqflist() == #qf.items - 1
  end)
  out.review_after = #vim.fn.getqflist()
end)

step("status", function()
  vim.g.kairos_last_status = nil
  vim.cmd("KairosStatus")
  wait(10000, ":KairosStatus", function() return vim.g.kairos_last_status ~= nil end)
  out.status = vim.g.kairos_last_status
end)

step("a change on disk outside the editor", function()
  -- pricing.py closed, then rewritten by something else (a pull): only Neovim's file watcher
  -- (its inotifywait backend) can tell the server, which registered for it
  -- (or, where Neovim does not watch, the server's own watcher)
  vim.api.nvim_set_current_buf(stock_buf)
  if pricing_buf ~= nil then
    vim.api.nvim_buf_delete(pricing_buf, { force = true })
  end
  vim.wait(500)
  local client = require("kairos").client(stock_buf)
  out.watching = client.dynamic_capabilities ~= nil
    and client.dynamic_capabilities:get("workspace/didChangeWatchedFiles") ~= nil
  vim.g.kairos_last_status = nil
  vim.cmd("KairosStatus")
  wait(10000, ":KairosStatus", function() return vim.g.kairos_last_status ~= nil end)
  out.disk = vim.g.kairos_last_status.disk
  local lines = vim.fn.readfile(pricing)
  for i, line in ipairs(lines) do
    lines[i] = line:gsub("price_with_tax", "price_after_tax")
  end
  vim.fn.writefile(lines, pricing)
  wait(30000, "a renamed-symbol diagnostic in stock.py", function()
    if #kairos_diagnostics(stock_buf, "renamed-symbol") > 0 then
      return true
    end
    vim.g.kairos_last_dream = nil
    vim.cmd("KairosDream")
    vim.wait(10000, function() return vim.g.kairos_last_dream ~= nil end, 50)
    return vim.wait(1500, function() return #kairos_diagnostics(stock_buf, "renamed-symbol") > 0 end, 50)
  end)
  out.renamed = kairos_diagnostics(stock_buf, "renamed-symbol")
end)

out.done = true
save()
vim.cmd("qa!")
