source("reference_json.R")
script <- "make_landmark.R"

# Reference values for landmark analysis, the Mantel-Byar test and Simon-Makuch curves.
#
#     cd tests/reference && Rscript make_landmark.R
#
# A time-dependent binary exposure (transplant, SCT) is split with tmerge(tdc()): a subject is
# unexposed on (0, exposure] and exposed on (exposure, time]. tmerge's conventions, which
# Followup follows: exposure at 0 means exposed from the start (one exposed row); exposure equal
# to the end of follow-up does not split, so an event on the exposure day is counted unexposed.
#
# Landmark analysis = R by subsetting: subjects with time > L (alive and under follow-up just
# after the landmark, as dynpred::cutLM), grouped by exposure <= L, time measured from L.
# Mantel-Byar = a loop over event times of the split data below (survdiff refuses (start, stop]
# data); without tied event times it equals coxph(ties = "breslow")'s score test, also written.
# Simon-Makuch = survfit(Surv(tstart, tstop, event) ~ exposed) on the split data.

suppressPackageStartupMessages(library(survival))

# ------------------------------------------------------------------------ datasets ---
# A small example to check by hand: never exposed, exposed at 0, exposure on the day of an event
# (subject 4), a tie of an exposed and an unexposed death at 6, exposure exactly at landmark 3.
hand <- data.frame(
  time     = c(2, 3, 4, 5, 6, 6, 8, 9, 10, 12),
  event    = c(1, 1, 0, 1, 1, 1, 0, 1, 1, 0),
  exposure = c(NA, 0, 1, 5, 2, NA, 3, NA, 4, NA)
)
# The same without tied event times (subject 6 dies at 7), where Mantel-Byar = coxph's score test.
hand_no_ties <- hand
hand_no_ties$time[6] <- 7

# Stanford heart transplant, built as in survival's timedep vignette: the subject who died on the
# day of entry dies at 0.5, and patient 38 (transplanted on the day of death) is transplanted
# half a day earlier so that the death counts as a transplant death.
jasa_vignette <- with(jasa, data.frame(
  time = pmax(0.5, as.numeric(fu.date - accept.dt)),
  event = fustat,
  exposure = ifelse(tx.date == fu.date, as.numeric(tx.date - accept.dt) - 0.5,
                    as.numeric(tx.date - accept.dt)),
  surgery = surgery,
  age = age
))
# The same without the vignette's shift: patient 38's death on the transplant day stays unexposed.
jasa_raw <- jasa_vignette
jasa_raw$exposure <- jasa$wait.time
stopifnot(sum(jasa_raw$exposure == jasa_raw$time, na.rm = TRUE) == 1)
# The vignette's data with every time made distinct (no exposure equals a time there), so that
# Mantel-Byar must equal coxph's Breslow score test on real data.
jasa_untied <- jasa_vignette
jasa_untied$time <- jasa_untied$time + seq_len(nrow(jasa_untied)) / 1000
stopifnot(!anyDuplicated(jasa_untied$time), all(is.na(jasa_untied$exposure) | jasa_untied$exposure != jasa_untied$time))

# Acute myeloid leukaemia: stem cell transplant (txtime) as the exposure.
myel <- with(myeloid, data.frame(time = futime, event = death, exposure = txtime,
                                 trt = trt, sex = as.character(sex)))
stopifnot(sum(myel$exposure == myel$time, na.rm = TRUE) == 1)

datasets <- list(hand = hand, hand_no_ties = hand_no_ties, jasa_vignette = jasa_vignette,
                 jasa_raw = jasa_raw, jasa_untied = jasa_untied, myeloid = myel)

split_exposure <- function(d) {
  d$id <- seq_len(nrow(d))
  s <- tmerge(d[, c("id", "exposure")], d, id = id, status = event(time, event),
              exposed = tdc(exposure))
  s$event <- s$status
  s$strat <- if ("trt" %in% names(d)) d$trt[s$id] else NA
  s
}

splits <- lapply(datasets, split_exposure)
split_rows <- lapply(splits, function(s) list(id = s$id, tstart = s$tstart, tstop = s$tstop,
                                               event = s$event, exposed = s$exposed))

# ------------------------------------------------------------------------ Mantel-Byar ---
mantel_byar_by_hand <- function(s, strata = NULL) {
  if (is.null(strata)) strata <- rep(1, nrow(s))
  o <- e <- v <- 0
  for (k in unique(strata)) {
    sk <- s[strata == k, ]
    for (t in sort(unique(sk$tstop[sk$event == 1]))) {
      at_risk <- sk$tstart < t & sk$tstop >= t
      n <- sum(at_risk)
      n1 <- sum(at_risk & sk$exposed == 1)
      dead <- sk$tstop == t & sk$event == 1
      d <- sum(dead)
      d1 <- sum(dead & sk$exposed == 1)
      o <- o + d1
      e <- e + d * n1 / n
      if (n > 1) v <- v + d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    }
  }
  c(observed = o, expected = e, variance = v)
}

mantel_byar_case <- function(name, dataset, stratified = FALSE) {
  s <- splits[[dataset]]
  strata <- if (stratified) s$strat else NULL
  hand_terms <- mantel_byar_by_hand(s, strata)
  deaths <- s$tstop[s$event == 1]
  deaths_unexposed <- sum(s$event == 1 & s$exposed == 0)
  formula <- if (stratified) Surv(tstart, tstop, event) ~ exposed + strata(strat)
             else Surv(tstart, tstop, event) ~ exposed
  fit <- coxph(formula, data = s, ties = "breslow")
  tied <- if (stratified) any(duplicated(paste(s$strat, s$tstop)[s$event == 1]))
          else any(duplicated(deaths))
  chisq <- unname((hand_terms["observed"] - hand_terms["expected"])^2 / hand_terms["variance"])
  list(
    name = scalar(name), dataset = scalar(dataset), stratified = scalar(stratified),
    observed = c(deaths_unexposed, unname(hand_terms["observed"])),
    expected_exposed = scalar(unname(hand_terms["expected"])),
    expected = c(sum(s$event) - unname(hand_terms["expected"]), unname(hand_terms["expected"])),
    variance = scalar(unname(hand_terms["variance"])),
    chisq = scalar(chisq), p = scalar(pchisq(chisq, 1, lower.tail = FALSE)),
    subjects = scalar(nrow(datasets[[dataset]])),
    in_state = c(sum(s$exposed == 0), sum(s$exposed == 1)),
    person_time = c(sum((s$tstop - s$tstart)[s$exposed == 0]), sum((s$tstop - s$tstart)[s$exposed == 1])),
    tied_event_times = scalar(tied),
    coxph_breslow_score = scalar(unname(fit$score)),
    coxph_breslow_coef = scalar(unname(coef(fit)))
  )
}

mantel_byar_cases <- list(
  mantel_byar_case("hand", "hand"),
  mantel_byar_case("hand_no_ties", "hand_no_ties"),
  mantel_byar_case("jasa_vignette", "jasa_vignette"),
  mantel_byar_case("jasa_raw", "jasa_raw"),
  mantel_byar_case("jasa_untied", "jasa_untied"),
  mantel_byar_case("myeloid", "myeloid"),
  mantel_byar_case("myeloid_strata_trt", "myeloid", stratified = TRUE)
)

# ---------------------------------------------------------------------- Simon-Makuch ---
curve_rows <- function(fit) {
  labels <- if (is.null(fit$strata)) NA else sub("^[^=]*=", "", names(fit$strata))
  lapply(seq_along(labels), function(i) {
    f <- if (is.null(fit$strata)) fit else fit[i]
    s <- summary(f, censored = TRUE)
    list(label = scalar(labels[i]), n = scalar(f$n), time = s$time, n_risk = s$n.risk,
         n_event = s$n.event, n_censor = s$n.censor, surv = s$surv, std_err = s$std.err,
         lower = s$lower, upper = s$upper)
  })
}

simon_makuch_case <- function(name, dataset, conf.type = "log") {
  s <- splits[[dataset]]
  fit <- survfit(Surv(tstart, tstop, event) ~ exposed, data = s, conf.type = conf.type)
  list(name = scalar(name), dataset = scalar(dataset), conf_type = scalar(conf.type),
       curves = curve_rows(fit))
}

simon_makuch_cases <- list(
  simon_makuch_case("hand", "hand"),
  simon_makuch_case("jasa_vignette", "jasa_vignette"),
  simon_makuch_case("jasa_raw", "jasa_raw", "log-log"),
  simon_makuch_case("myeloid", "myeloid"),
  simon_makuch_case("myeloid_plain", "myeloid", "plain")
)

# ------------------------------------------------------------------------- landmarks ---
# cox: NULL for none, or the covariates after the landmark group, as a formula's right side.
landmark_case <- function(name, dataset, landmark, by = "exposure", cox = NULL) {
  d <- datasets[[dataset]]
  kept <- d$time > landmark
  lm <- d[kept, ]
  lm$since <- lm$time - landmark
  lm$entry <- landmark
  lm$g <- if (by == "exposure") as.integer(!is.na(lm$exposure) & lm$exposure <= landmark) else lm[[by]]
  km <- survfit(Surv(since, event) ~ g, data = lm)
  km_origin <- survfit(Surv(entry, time, event) ~ g, data = lm)
  lr <- survdiff(Surv(since, event) ~ g, data = lm)
  out <- list(
    name = scalar(name), dataset = scalar(dataset), landmark = scalar(landmark), by = scalar(by),
    subjects = scalar(nrow(d)), at_risk = scalar(sum(kept)),
    events_before = scalar(sum(d$event[!kept])), censored_before = scalar(sum(1 - d$event[!kept])),
    groups = as.character(sort(unique(lm$g))), group_n = as.vector(table(lm$g)),
    kept_rows = which(kept) - 1,  # 0-based positions of the subjects kept
    curves = curve_rows(km), curves_origin = curve_rows(km_origin),
    logrank = list(n = as.vector(lr$n), observed = as.vector(lr$obs), expected = as.vector(lr$exp),
                   chisq = scalar(lr$chisq), p = scalar(pchisq(lr$chisq, 1, lower.tail = FALSE)))
  )
  if (!is.null(cox)) {
    lm$g <- factor(lm$g)
    fit <- coxph(as.formula(paste("Surv(since, event) ~ g", cox)), data = lm, ties = "efron")
    out$cox <- list(coef = unname(coef(fit)), std_err = unname(sqrt(diag(vcov(fit)))),
                    loglik = fit$loglik, score = scalar(fit$score),
                    columns = names(coef(fit)))
  }
  out
}

landmark_cases <- list(
  landmark_case("hand_L3", "hand", 3, cox = ""),
  landmark_case("jasa_vignette_L30", "jasa_vignette", 30, cox = "+ surgery + age"),
  landmark_case("myeloid_L180", "myeloid", 180, cox = ""),
  landmark_case("myeloid_L365_adjusted", "myeloid", 365, cox = "+ trt + sex"),
  landmark_case("myeloid_L365_by_trt", "myeloid", 365, by = "trt", cox = "")
)

write_reference(list(datasets = datasets, split_rows = split_rows,
                     mantel_byar = mantel_byar_cases, simon_makuch = simon_makuch_cases,
                     landmark = landmark_cases), "landmark.json")
