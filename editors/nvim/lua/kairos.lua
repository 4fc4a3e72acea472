-- kairos for Neovim: user commands over the kairos-lsp server's workspace commands.
-- plugin/kairos.lua defines the commands; this module does the work.
--
--   :KairosStatus          the memory's counts, last dream, LLM state
--   :KairosDream           consolidate now
--   :KairosForget [file]   forget a file (default: the current buffer)
--   :KairosReview[!]       what the dreams changed since you last looked, in the quickfix list
--                          (! marks it all as seen); in that list, `c` confirms and `r` rejects
--                          the fact under the cursor (or :KairosConfirm / :KairosReject)
--   require("kairos").statusline()   "kairos: scanning 42%" / "kairos: dreaming" / "kairos: dreamt 14:32"

local M = {}

M.state = { state = "starting" }
local REVIEW_TITLE = "kairos review"

local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = "kairos" })
end

--- The kairos client attached to the buffer, else any kairos client.
function M.client(bufnr)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = "kairos", bufnr = bufnr or 0 })
  if #clients == 0 then
    clients = get({ name = "kairos" })
  end
  return clients[1]
end

--- workspace/executeCommand on the kairos server; `callback(result)` on success.
function M.execute(command, arguments, callback, bufnr)
  local client = M.client(bufnr)
  if client == nil then
    notify("kairos-lsp is not running here (vim.lsp.enable('kairos'), then open a source file)", vim.log.levels.WARN)
    return
  end
  local params = { command = command, arguments = arguments or {} }
  local function handler(err, result)
    if err ~= nil then
      notify(command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif type(result) == "table" and type(result.error) == "string" then
      notify(result.error, vim.log.levels.ERROR)
    elseif callback then
      callback(result)
    end
  end
  if vim.fn.has("nvim-0.11") == 1 then
    client:request("workspace/executeCommand", params, handler, bufnr or 0)
  else
    client.request("workspace/executeCommand", params, handler, bufnr or 0)
  end
end

-- -- status ---------------------------------------------------------------------------------

local function clock(iso)
  if type(iso) ~= "string" then
    return nil
  end
  local y, mo, d, h, mi, s = iso:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if not y then
    return iso
  end
  -- the server speaks UTC; show local time
  local utc = os.time({ year = y, month = mo, day = d, hour = h, min = mi, sec = s })
  local offset = os.time() - os.time(os.date("!*t"))
  return os.date("%H:%M", utc + offset)
end

function M.statusline()
  local s = M.state
  if s.state == "scanning" then
    return s.percentage and ("kairos: scanning " .. s.percentage .. "%%") or "kairos: scanning"
  elseif s.state == "dreaming" then
    return "kairos: dreaming"
  elseif s.state == "idle" then
    local at = clock(s.lastDream)
    return at and ("kairos: dreamt " .. at) or "kairos: idle"
  end
  return "kairos"
end

--- `kairos/status` notifications ({state, percentage, message, lastDream}).
function M.on_status(_, params)
  if type(params) ~= "table" then
    return
  end
  local last = params.lastDream or M.state.lastDream
  M.state = vim.tbl_extend("force", {}, params, { lastDream = last })
  vim.g.kairos_status = M.statusline()
  pcall(vim.api.nvim_exec_autocmds, "User", { pattern = "KairosStatus", modeline = false })
  vim.cmd.redrawstatus({ bang = true, mods = { emsg_silent = true } })
end

--- LspProgress: the server's scan, shown in the message area and kept in vim.g.kairos_progress.
function M.on_progress(event)
  local data = event.data or {}
  local client = data.client_id and vim.lsp.get_client_by_id(data.client_id)
  if not client or client.name ~= "kairos" then
    return
  end
  local value = (data.params or {}).value or {}
  local text
  if value.kind == "end" then
    text = "kairos: " .. (value.message or "done")
  else
    text = "kairos: " .. (value.title or "") .. (value.percentage and (" " .. value.percentage .. "%") or "")
      .. (value.message and (" " .. value.message) or "")
  end
  vim.g.kairos_progress = text
  vim.api.nvim_echo({ { text } }, false, {})
end

function M.status()
  M.execute("kairos.status", {}, function(s)
    local facts = s.facts or {}
    local last = s.last_dream
    local lines = {
      string.format("kairos: %s", M.statusline()),
      string.format("%s files, %s symbols, %s observations (%s not yet dreamt)", s.files, s.symbols, s.observations, s.undreamed),
      string.format("facts: %d firm, %d tentative, %d superseded, %d retracted",
        facts.firm or 0, facts.tentative or 0, facts.superseded or 0, facts.retracted or 0),
      last ~= vim.NIL and last and string.format("last dream: %s (%s, %d ms)", last.started_at, last.trigger, math.floor(last.duration_ms or 0))
        or "no dream yet",
      string.format("LLM: %s: %s", (s.llm or {}).provider or "none", (s.llm or {}).state or ""),
      string.format("daemon: %s", (s.daemon or {}).running and ("running, pid " .. tostring(s.daemon.pid)) or "not running"),
      string.format("disk: %s", s.disk or "unknown"),
      string.format("memory: %s", s.store),
    }
    vim.g.kairos_last_status = s
    notify(table.concat(lines, "\n"))
  end)
end

function M.dream()
  notify("kairos: dreaming…")
  M.execute("kairos.dreamNow", {}, function(r)
    vim.g.kairos_last_dream = r
    notify(string.format("kairos: dream done: %s created, %s superseded, %s retracted, %s promoted",
      r.created or 0, r.superseded or 0, r.retracted or 0, r.promoted or 0))
  end)
end

function M.forget(target)
  local uri = (target and target ~= "") and vim.uri_from_fname(vim.fn.fnamemodify(target, ":p"))
    or vim.uri_from_bufnr(0)
  M.execute("kairos.forget", { uri }, function(r)
    vim.g.kairos_last_forget = r
    notify("kairos: forgot " .. tostring(r.forgot))
  end)
end

-- -- review -------------------------------------------------------------------------------------

local function root_of(client)
  local folders = client and client.workspace_folders
  if folders and folders[1] then
    return vim.uri_to_fname(folders[1].uri)
  end
  return client and client.root_dir or vim.fn.getcwd()
end

local function value_text(v)
  if type(v) == "string" then
    return (v:gsub("\n.*", ""))
  end
  return vim.json.encode(v)
end

--- Quickfix items for the changes (`user_data`: the change).
function M.review_items(changes, root)
  local items = {}
  for _, c in ipairs(changes) do
    local replaced = (c.replaced_by ~= nil and c.replaced_by ~= vim.NIL) and (" -> " .. value_text(c.replaced_by)) or ""
    local conf = (c.change == "promoted" and type(c.confidence) == "number") and string.format(" (%.2f)", c.confidence) or ""
    local item = {
      text = string.format("[%s] %s %s: %s%s%s  #%d %s", c.change, (c.qualname ~= "" and c.qualname) or "(module)",
        c.predicate, value_text(c.value), replaced, conf, c.id, (c.at or ""):sub(1, 16):gsub("T", " ")),
      type = c.change == "promoted" and "I" or "W",
      user_data = c,
    }
    if c.path ~= nil and c.path ~= vim.NIL then
      item.filename = vim.fs.joinpath(root, c.path)
      item.lnum = (type(c.line) == "number" and c.line or 0) + 1
      item.col = 1
    end
    table.insert(items, item)
  end
  return items
end

function M.review(mark_seen, on_done)
  local client = M.client()
  M.execute("kairos.recentChanges", { { markSeen = mark_seen and true or false } }, function(r)
    local items = M.review_items(r.changes or {}, root_of(client))
    vim.fn.setqflist({}, " ", { title = REVIEW_TITLE, items = items })
    vim.g.kairos_review = { count = #items, since = r.since, more = r.more }
    if #items == 0 then
      notify("kairos: nothing new to review" .. (mark_seen and " (marked as seen)" or ""))
    else
      vim.cmd("botright copen")
      notify(string.format("kairos: %d changes to review%s; c confirms, r rejects", #items, mark_seen and " (now marked as seen)" or ""))
    end
    if on_done then
      on_done(items)
    end
  end)
end

--- The review change under the cursor in the quickfix window (or the current quickfix entry).
local function current_change()
  local list = vim.fn.getqflist({ title = 0, idx = 0, items = 0 })
  if list.title ~= REVIEW_TITLE then
    notify("kairos: the quickfix list is not a kairos review (:KairosReview)", vim.log.levels.WARN)
    return nil
  end
  local idx = vim.bo.buftype == "quickfix" and vim.fn.line(".") or list.idx
  local item = list.items[idx]
  return item and item.user_data, idx
end

function M.judge(confirm, fact_id)
  local id = tonumber(fact_id)
  local idx
  if id == nil then
    local change
    change, idx = current_change()
    if change and change.judgeable == false then
      notify("kairos: " .. (change.qualname or "that symbol") .. " is gone: nothing to confirm or reject", vim.log.levels.WARN)
      return
    end
    id = change and change.id
  end
  if id == nil then
    return
  end
  M.execute(confirm and "kairos.confirmFact" or "kairos.rejectFact", { id }, function(r)
    vim.g.kairos_last_verdict = r
    notify(string.format("kairos: fact #%d %s (%s)", id, confirm and "confirmed" or "rejected", r.status or "?"))
    -- the judged fact leaves the review: refresh the list, keep the cursor near
    M.review(false, function(items)
      if idx and #items > 0 then
        vim.fn.setqflist({}, "a", { idx = math.min(idx, #items) })
      end
    end)
  end)
end

function M.setup_quickfix(bufnr)
  local title = vim.fn.getqflist({ title = 0 }).title
  if title ~= REVIEW_TITLE then
    return
  end
  vim.keymap.set("n", "c", function() M.judge(true) end, { buffer = bufnr, desc = "kairos: confirm this fact" })
  vim.keymap.set("n", "r", function() M.judge(false) end, { buffer = bufnr, desc = "kairos: reject this fact" })
end

return M
