source("reference_json.R")
script <- "make_curves.R"

# Cumulative hazards and model-based survival curves: nelson_aalen, cox_survival and
# adjusted_survival against survival's survfit.
#
#     cd tests/reference && Rscript make_curves.R
#
# - Nelson-Aalen: survfit(..., ctype = 1) and the Fleming-Harrington (Efron-tie) ctype = 2: $cumhaz,
#   $std.chaz, and summary(fit, times =). Limits of the cumulative hazard are -log of the limits of
#   survfit(..., stype = 2) with conf.type = "log", i.e. H -/+ z SE(H), the lower one cut at 0.
#   R's model-based variance sum d_w / n_w^2 (ctype 1) is what robust = FALSE gives; R switches to the
#   infinitesimal jackknife on its own only for weights that are not whole numbers, so the case
#   with such weights asks for robust = FALSE explicitly.
# - survfit(coxph, newdata = profiles): stype 2, ctype from the ties method (R's default), with the
#   SE including the term for the uncertainty in beta; strata absent from newdata give one curve per
#   stratum and profile.
# - Adjusted (direct standardisation) curves computed by hand, as adjustedCurves' method "direct"
#   does for a Cox model: colMeans(t(summary(survfit(fit, newdata = d_level), times = )$surv)).

suppressPackageStartupMessages(library(survival))

lung2 <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")])
lung2$status <- lung2$status - 1
lung2$freq <- 1 + (lung2$age %% 3)             # whole-number weights
lung2$w <- 0.25 + (lung2$age %% 5) / 3         # weights that are not whole numbers
vet <- veteran
vet$celltype <- as.character(vet$celltype)
aml2 <- data.frame(time = aml$time, status = aml$status, x = as.character(aml$x))
ova <- ovarian
hrt <- heart[, c("start", "stop", "event", "surgery")]

datasets <- list(
  lung = as.list(lung2),
  veteran = list(time = vet$time, status = vet$status, trt = vet$trt, celltype = vet$celltype,
                 karno = vet$karno, age = vet$age),
  aml = as.list(aml2),
  ovarian = list(futime = ova$futime, fustat = ova$fustat, age = ova$age, rx = ova$rx,
                 ecog_ps = ova$ecog.ps),
  heart = as.list(hrt)
)

# ------------------------------------------------------------------------ Nelson-Aalen ---
curve_label <- function(fit, i) if (is.null(fit$strata)) NA_character_ else names(fit$strata)[i]

na_case <- function(name, dataset, formula, data, times, weights = NULL, robust = NULL) {
  out <- list(name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
              weights = scalar(if (is.null(weights)) "" else weights))
  for (ctype in 1:2) {
    args <- list(formula = formula, data = data, ctype = ctype)
    if (!is.null(weights)) args$weights <- data[[weights]]
    if (!is.null(robust)) args$robust <- robust
    fit <- do.call(survfit, args)
    limits_fit <- do.call(survfit, c(args, list(stype = 2, conf.type = "log")))
    n_curves <- if (is.null(fit$strata)) 1 else length(fit$strata)
    curves <- lapply(seq_len(n_curves), function(i) {
      f <- if (n_curves == 1) fit else fit[i]
      l <- if (n_curves == 1) limits_fit else limits_fit[i]
      at_times <- times[times <= max(f$time)]
      s <- summary(f, times = at_times)
      sl <- summary(l, times = at_times)
      list(label = scalar(curve_label(fit, i)), time = f$time, n_risk = f$n.risk,
           n_event = f$n.event, n_censor = f$n.censor, cumhaz = f$cumhaz, std_chaz = f$std.chaz,
           lower = -log(l$upper), upper = -log(l$lower),
           at_times = list(time = s$time, n_risk = s$n.risk, n_event = s$n.event,
                           n_censor = s$n.censor, cumhaz = s$cumhaz, std_chaz = s$std.chaz,
                           lower = -log(sl$upper), upper = -log(sl$lower)))
    })
    out[[paste0("ctype", ctype)]] <- curves
  }
  out
}

na_cases <- list(
  na_case("aml_by_x", "aml", Surv(time, status) ~ x, aml2, c(0, 5, 10, 30, 48)),
  na_case("lung_by_sex", "lung", Surv(time, status) ~ sex, lung2, c(0, 100, 365, 730)),
  na_case("veteran_all", "veteran", Surv(time, status) ~ 1, vet, c(0, 30, 90, 365, 999)),
  na_case("lung_ecog_by_sex", "lung", Surv(time, status) ~ ph.ecog + sex, lung2, c(0, 100, 365)),
  na_case("lung_weighted_by_sex", "lung", Surv(time, status) ~ sex, lung2, c(0, 100, 365, 730),
          weights = "freq"),
  na_case("lung_fractional_weights", "lung", Surv(time, status) ~ 1, lung2, c(0, 100, 365, 730),
          weights = "w", robust = FALSE),
  na_case("heart_entry", "heart", Surv(start, stop, event) ~ 1, hrt, c(0, 50, 365, 1000))
)

# --------------------------------------------------------------- Cox survival curves ---
cox_case <- function(name, dataset, formula, data, ties, profiles, times, weights = NULL,
                     conf.type = "log", cluster = NULL) {
  args <- list(formula = formula, data = data, ties = ties)
  if (!is.null(weights)) args$weights <- data[[weights]]
  if (!is.null(cluster)) args$cluster <- data[[cluster]]   # R's fit$var is then the robust one
  fit <- do.call(coxph, args)
  sf <- survfit(fit, newdata = profiles, conf.type = conf.type)
  n_profiles <- nrow(profiles)
  n_strata <- if (is.null(sf$strata)) 1 else length(sf$strata)
  ends <- cumsum(if (is.null(sf$strata)) length(sf$time) else sf$strata)
  curves <- list()
  for (s in seq_len(n_strata)) {
    rows <- (if (s == 1) 1 else ends[s - 1] + 1):ends[s]
    tt <- sf$time[rows]
    for (j in seq_len(n_profiles)) {
      one <- if (n_strata == 1) sf[j] else sf[s, j]
      at_times <- times[times <= max(tt)]
      sm <- summary(one, times = at_times)
      curves[[length(curves) + 1]] <- list(
        stratum = scalar(if (n_strata == 1) NA_real_ else s - 1), profile = scalar(j - 1),
        time = tt, n_risk = one$n.risk, n_event = one$n.event, n_censor = one$n.censor,
        cumhaz = one$cumhaz, surv = one$surv, log_std_err = one$std.err,
        lower = one$lower, upper = one$upper,
        at_times = list(time = sm$time, n_risk = sm$n.risk, n_event = sm$n.event,
                        cumhaz = sm$cumhaz, surv = sm$surv, std_err = sm$std.err,
                        lower = sm$lower, upper = sm$upper))
    }
  }
  list(name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
       ties = scalar(ties), weights = scalar(if (is.null(weights)) "" else weights),
       cluster = scalar(if (is.null(cluster)) "" else cluster), conf_type = scalar(conf.type), coefficients = unname(coef(fit)),
       profiles = as.list(profiles), curves = curves)
}

lung_profiles <- data.frame(age = c(50, 62, 75), sex = c(1, 2, 1), ph.ecog = c(0, 1, 2))
vet_profiles <- data.frame(karno = c(30, 60, 90, 60), celltype = c("squamous", "smallcell", "adeno", "large"),
                           trt = c(1, 2, 2, 1))
cox_cases <- list(
  cox_case("lung_efron", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, "efron",
           lung_profiles, c(0, 100, 365, 730)),
  cox_case("lung_breslow", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, "breslow",
           lung_profiles, c(0, 100, 365, 730)),
  cox_case("lung_efron_loglog", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, "efron",
           lung_profiles, c(0, 100, 365, 730), conf.type = "log-log"),
  cox_case("lung_weighted_efron", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, "efron",
           lung_profiles, c(0, 100, 365, 730), weights = "freq"),
  cox_case("lung_clustered_efron", "lung", Surv(time, status) ~ age + sex, lung2, "efron",
           lung_profiles[, c("age", "sex")], c(0, 100, 365, 730), cluster = "ph.ecog"),
  # Weights that are not whole numbers: R's coxph reports the robust variance as fit$var.
  cox_case("lung_weighted_breslow", "lung", Surv(time, status) ~ age + sex, lung2, "breslow",
           lung_profiles[, c("age", "sex")], c(0, 100, 365, 730), weights = "w"),
  cox_case("veteran_efron", "veteran", Surv(time, status) ~ karno + celltype + trt, vet, "efron",
           vet_profiles, c(0, 30, 90, 365)),
  cox_case("veteran_strata_breslow", "veteran", Surv(time, status) ~ karno + celltype + strata(trt),
           vet, "breslow", vet_profiles[, c("karno", "celltype")], c(0, 30, 90, 365)),
  cox_case("veteran_strata_efron", "veteran", Surv(time, status) ~ karno + celltype + strata(trt),
           vet, "efron", vet_profiles[, c("karno", "celltype")], c(0, 30, 90, 365)),
  cox_case("aml_efron", "aml", Surv(time, status) ~ x, aml2, "efron",
           data.frame(x = c("Maintained", "Nonmaintained")), c(0, 10, 30, 45)),
  cox_case("ovarian_breslow", "ovarian", Surv(futime, fustat) ~ age + rx, ova, "breslow",
           data.frame(age = c(45, 60), rx = c(1, 2)), c(0, 200, 500, 1000)),
  cox_case("ovarian_efron", "ovarian", Surv(futime, fustat) ~ age + rx + ecog.ps, ova, "efron",
           data.frame(age = c(45, 60), rx = c(1, 2), ecog.ps = c(2, 1)), c(0, 200, 500, 1000))
)

# ------------------------------------------------------ adjusted (standardised) curves ---
adjusted_case <- function(name, dataset, formula, data, ties, variable, levels, times) {
  fit <- do.call(coxph, list(formula = formula, data = data, ties = ties))
  covariates <- all.vars(formula[[3]])
  curves <- lapply(levels, function(level) {
    d <- data[, covariates, drop = FALSE]
    d[[variable]] <- level
    at_times <- times[times <= max(fit$y[, 1])]
    s <- summary(survfit(fit, newdata = d), times = at_times)
    list(level = scalar(level), time = s$time, surv = colMeans(t(s$surv)))
  })
  list(name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
       ties = scalar(ties), variable = scalar(variable), covariates = covariates, curves = curves)
}

adjusted_cases <- list(
  adjusted_case("lung_by_sex", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, "efron",
                "sex", c(1, 2), c(0, 100, 180, 365, 730)),
  adjusted_case("lung_by_sex_breslow", "lung", Surv(time, status) ~ age + sex + ph.ecog + wt.loss,
                lung2, "breslow", "sex", c(1, 2), c(0, 100, 180, 365, 730)),
  adjusted_case("veteran_by_celltype", "veteran", Surv(time, status) ~ karno + celltype + trt, vet,
                "efron", "celltype", c("adeno", "large", "smallcell", "squamous"),
                c(0, 30, 90, 180, 365)),
  adjusted_case("veteran_by_karno", "veteran", Surv(time, status) ~ karno + celltype + age, vet,
                "efron", "karno", c(40, 80), c(0, 30, 90, 180, 365))
)

write_reference(list(datasets = datasets, nelson_aalen = na_cases, cox_survival = cox_cases,
                     adjusted = adjusted_cases), "curves.json")
