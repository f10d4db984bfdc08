-- Argo CD health check for Liftoff's kinds (DataSet, TrainingJob, ModelDeployment, TrainingSearch); see docs/gitops.md.
-- Healthy only when the operator has observed the current generation and reports Ready (or, for a TrainingJob,
-- Succeeded); Degraded when Stalled or failed; Suspended for a suspended TrainingJob; Progressing otherwise.
local hs = { status = "Progressing", message = "waiting for the operator to observe the current spec" }
if obj.status == nil or obj.metadata == nil or obj.status.observedGeneration ~= obj.metadata.generation then
  return hs
end

local found = {}
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    found[c.type] = c
  end
end
local function describe(c)
  return (c.reason or "") .. ": " .. (c.message or "")
end

if found["Stalled"] ~= nil and found["Stalled"].status == "True" then
  hs.status = "Degraded"
  hs.message = describe(found["Stalled"])
  return hs
end

if obj.kind == "TrainingJob" then
  local phase = obj.status.phase
  if phase == "Succeeded" then
    hs.status = "Healthy"
    hs.message = "training succeeded"
  elseif phase == "Failed" then
    hs.status = "Degraded"
    hs.message = found["Failed"] ~= nil and describe(found["Failed"]) or "training failed"
  elseif phase == "Suspended" then
    hs.status = "Suspended"
    hs.message = "training is suspended"
  else
    hs.message = "training " .. string.lower(phase or "pending")
  end
  return hs
end

local ready = found["Ready"]
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
elseif ready ~= nil then
  hs.message = describe(ready)
end
return hs
