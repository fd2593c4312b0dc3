source("reference_json.R")
script <- "make_multi_state.R"

# Reference values for followup.survival.state_occupation and cumulative_incidence(entry=):
# the Aalen-Johansen state occupation probabilities of survival's multi-state survfit,
#     survfit(Surv(tstart, tstop, state) ~ group, data, id = id)
# with its infinitesimal-jackknife std.err, log-transform limits, n.risk / n.event / n.censor,
# the transitions table and summary(fit, times =).
#
# Run:  cd tests/reference && Rscript make_multi_state.R
# Data: survival's mgus2 (the "compete" vignette: competing risks, and the illness-death data
# built with tmerge) and myeloid (the survival vignette: CR, SCT, relapse, death built with
# tmerge), mgus2 on the age scale for delayed entry. Each case carries its exact input rows.

suppressPackageStartupMessages(library(survival))

# ------------------------------------------------------------------ datasets ---
mg <- mgus2
mg$etime <- with(mg, ifelse(pstat == 0, futime, ptime))
mg$event <- factor(with(mg, ifelse(pstat == 0, 2 * death, 1)), 0:2, c("censor", "pcm", "death"))

# The compete vignette's illness-death data: PCM tied with death is moved 0.1 month earlier.
ptemp <- with(mgus2, ifelse(ptime == futime & pstat == 1, ptime - .1, ptime))
data3 <- tmerge(mgus2, mgus2, id = id, death = event(futime, death), pcm = event(ptemp, pstat))
data3 <- tmerge(data3, data3, id, enum = cumtdc(tstart))
data3$event <- factor(with(data3, ifelse(death == 1, 2, pcm)), 0:2, c("censor", "pcm", "death"))
d2 <- with(data3, ifelse(enum == 2 & event == "death", 4, as.numeric(event)))
data3$e2 <- factor(d2, labels = c("censor", "pcm", "death w/o pcm", "death after pcm"))
data3$w <- 1 + (data3$id %% 4) / 2                    # case weights, constant within a subject
data3$istate <- factor(ifelse(data3$enum == 1, "mgus", "pcm"), c("mgus", "pcm"))

# The survival vignette's myeloid data: CR tied with SCT is moved one day earlier.
tdata <- myeloid
tied <- with(tdata, (!is.na(crtime) & !is.na(txtime) & crtime == txtime))
tdata$crtime[tied] <- tdata$crtime[tied] - 1
mdata <- tmerge(tdata[, 1:2], tdata, id = id, death = event(futime, death),
                sct = event(txtime), cr = event(crtime), relapse = event(rltime),
                priorcr = tdc(crtime), priortx = tdc(txtime))
temp <- with(mdata, cr + 2 * sct + 4 * relapse + 8 * death)
mdata$event <- factor(temp, c(0, 1, 2, 4, 8), c("none", "CR", "SCT", "relapse", "death"))
mdata$crstat <- factor(with(mdata, ifelse(priorcr, 0, c(0, 1, 0, 0, 2)[event])), 0:2,
                       c("none", "CR", "death"))
mdata$tx2 <- factor(with(mdata, c(0, 0, 1, 0, 2)[event] + priortx), 0:3,
                    c("censor", "SCT", "death w/o SCT", "death after SCT"))

# Delayed entry: mgus2 on the age scale in whole months (entry = age at MGUS diagnosis).
mg$age_in <- mg$age * 12
mg$age_out <- mg$age * 12 + mg$etime
mg$w <- 1 + (mg$id %% 3)

# ------------------------------------------------------------------ cases ---
curve_rows <- function(fit) {
  if (is.null(fit$strata)) return(list(list(label = NA, rows = seq_along(fit$time))))
  ends <- cumsum(fit$strata)
  lapply(seq_along(ends), function(i) {
    list(label = sub("^[^=]*=", "", names(fit$strata)[i]), rows = (ends[i] - fit$strata[i] + 1):ends[i])
  })
}

ms_case <- function(name, dataset, formula, data, state, group = NULL, weights = NULL,
                    istate = NULL, times, two_column = FALSE) {
  # The input rows are those of datasets[[dataset]]; the case names the columns it uses.
  args <- list(formula = formula, data = data)
  if (!two_column) args$id <- data$id
  if (!is.null(weights)) args$weights <- data[[weights]]
  if (!is.null(istate)) args$istate <- data[[istate]]
  fit <- do.call(survfit, args)
  curves <- lapply(curve_rows(fit), function(c) {
    r <- c$rows
    list(group = scalar(as.character(c$label)), time = fit$time[r],
         n_risk = fit$n.risk[r, , drop = FALSE], n_event = fit$n.event[r, , drop = FALSE],
         n_censor = fit$n.censor[r], pstate = fit$pstate[r, , drop = FALSE],
         std_err = fit$std.err[r, , drop = FALSE], lower = fit$lower[r, , drop = FALSE],
         upper = fit$upper[r, , drop = FALSE], cumhaz = fit$cumhaz[r, , drop = FALSE])
  })
  s <- summary(fit, times = times)
  tr <- fit$transitions
  columns <- list(state = scalar(state), group = scalar(if (is.null(group)) "" else group),
                  weights = scalar(if (is.null(weights)) "" else weights),
                  istate = scalar(if (is.null(istate)) "" else istate))
  list(
    name = scalar(name), call = scalar(paste(deparse(formula), collapse = " ")),
    dataset = scalar(dataset), columns = columns, states = fit$states,
    cumhaz_names = colnames(fit$cumhaz), curves = curves,
    transitions = list(from = rownames(tr), to = colnames(tr), count = unclass(tr)),
    summary = list(times = times, group = if (is.null(s$strata)) rep("NA", length(s$time)) else
                     sub("^[^=]*=", "", as.character(s$strata)),
                   time = s$time, n_risk = s$n.risk, n_event = s$n.event, pstate = s$pstate,
                   std_err = s$std.err, lower = s$lower, upper = s$upper))
}

rows_of <- function(data, start, stop, id, factors, others) {
  # Factors as labels, with their level order (the first level of a state means censored).
  out <- list(start = data[[start]], stop = data[[stop]], id = data[[id]])
  for (f in factors) {
    out[[f]] <- as.character(data[[f]])
    out[[paste0(f, "_levels")]] <- levels(data[[f]])
  }
  for (o in others) out[[o]] <- if (is.factor(data[[o]])) as.character(data[[o]]) else data[[o]]
  out
}

cases <- list(
  ms_case("mgus2_competing_by_sex", "mgus2", Surv(etime, event) ~ sex, mg, "event", group = "sex",
          times = c(12, 60, 120, 240, 360), two_column = TRUE),
  ms_case("mgus2_illness_death_by_sex", "mgus2_tmerge", Surv(tstart, tstop, event) ~ sex, data3, "event",
          group = "sex", times = c(6, 60, 120, 240, 400)),
  ms_case("mgus2_death_after_pcm", "mgus2_tmerge", Surv(tstart, tstop, e2) ~ 1, data3, "e2",
          times = c(0.5, 12, 120, 300)),
  ms_case("mgus2_illness_death_weighted", "mgus2_tmerge", Surv(tstart, tstop, event) ~ sex, data3, "event",
          group = "sex", weights = "w", times = c(60, 120, 240)),
  ms_case("mgus2_illness_death_istate", "mgus2_tmerge", Surv(tstart, tstop, event) ~ 1, data3, "event",
          istate = "istate", times = c(60, 240)),
  ms_case("myeloid_by_trt", "myeloid_tmerge", Surv(tstart, tstop, event) ~ trt, mdata, "event", group = "trt",
          times = c(30, 100, 365, 1000, 2000)),
  ms_case("myeloid_cr_terminal_by_trt", "myeloid_tmerge", Surv(tstart, tstop, crstat) ~ trt, mdata, "crstat",
          group = "trt", times = c(30, 60, 180, 365)),
  ms_case("myeloid_death_after_sct", "myeloid_tmerge", Surv(tstart, tstop, tx2) ~ 1, mdata, "tx2",
          times = c(100, 365, 1500))
)

# Delayed entry in competing risks: survfit(Surv(entry, time, status) ~ group, id = 1:n).
mg$tstart <- mg$age_in
mg$tstop <- mg$age_out
mg$id <- seq_len(nrow(mg))
entry_cases <- list(
  ms_case("mgus2_age_scale_by_sex", "mgus2_age_scale", Surv(tstart, tstop, event) ~ sex, mg, "event", group = "sex",
          times = c(600, 800, 1000, 1200)),
  ms_case("mgus2_age_scale_weighted", "mgus2_age_scale", Surv(tstart, tstop, event) ~ 1, mg, "event",
          weights = "w", times = c(700, 900, 1100))
)

mg$row <- seq_len(nrow(mg))
mg$zero <- 0
datasets <- list(
  mgus2 = rows_of(mg, "zero", "etime", "row", c("event"), c("sex")),
  mgus2_tmerge = rows_of(data3, "tstart", "tstop", "id", c("event", "e2", "istate"), c("sex", "w")),
  myeloid_tmerge = rows_of(mdata, "tstart", "tstop", "id", c("event", "crstat", "tx2"), c("trt")),
  mgus2_age_scale = rows_of(mg, "age_in", "age_out", "row", c("event"), c("sex", "w"))
)
write_reference(list(datasets = datasets, state_occupation = cases, entry = entry_cases),
                "multi_state.json")
