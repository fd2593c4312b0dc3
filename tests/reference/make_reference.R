# Writes the reference values that tests/survival compares Followup against.
#
# Run with Debian's r-base-core r-cran-survival r-cran-cmprsk r-cran-jsonlite:
#     cd tests/reference && Rscript make_reference.R      (or: make reference)
# CI never runs R: it reads the JSON this script wrote and that is committed beside it.
#
# Every number is written with 17 significant digits ("%.17g"), which round-trips a double exactly;
# jsonlite stops at 15, so numbers are formatted here and jsonlite only escapes strings.
# NA, NaN and Inf are written as the strings "NA", "NaN", "Inf", "-Inf".
#
# Datasets are R's own: aml, lung, veteran, heart and mgus2 from survival, and the example in
# cmprsk's cuminc documentation. Each JSON file carries the exact rows used, so the Python side
# feeds the same data.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

source("reference_json.R")
script <- "make_reference.R"

# ------------------------------------------------------------------- datasets ---
lung2 <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")])
lung2$status <- lung2$status - 1            # 1/2 coding to 0/1
lung2$freq <- 1 + (lung2$age %% 3)         # integer frequency weights for weighted cases
lung2$age_seconds <- lung2$age * 365.25 * 86400   # covariates on scales 1e5-1e9 apart: coxfit6 scales
vet <- veteran
vet$karno_e6 <- vet$karno * 1e6
# Mixed-case labels: factor() sorts them by the locale's collation; under LC_COLLATE=C that is
# code-point order ("Large" "Smallcell" "adeno" "squamous"), the default reference Followup takes.
vet$cell_mixed <- c(squamous = "squamous", smallcell = "Smallcell", adeno = "adeno",
                    large = "Large")[as.character(vet$celltype)]
pbc2 <- na.omit(pbc[, c("time", "status", "bili", "edema", "sex", "age")])
pbc2$death <- as.integer(pbc2$status == 2)
pbc2$bili_e5 <- pbc2$bili * 1e5
pbc2$female <- as.integer(pbc2$sex == "f")
mg <- mgus2
mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
mg$event <- ifelse(mg$pstat == 0, 2 * mg$death, 1)   # 1 = progression, 2 = death without it
set.seed(2)                                  # cmprsk's own cuminc example
ss <- rexp(100)
gg <- factor(sample(1:3, 100, replace = TRUE), 1:3, c("a", "b", "c"))
cc <- sample(0:2, 100, replace = TRUE)
strt <- sample(1:2, 100, replace = TRUE)
cmp <- data.frame(time = ss, status = cc, group = as.character(gg), strata = strt)

datasets <- list(
  aml = list(time = aml$time, status = aml$status, x = as.character(aml$x)),
  lung = as.list(lung2),
  veteran = list(time = vet$time, status = vet$status, trt = vet$trt,
                 celltype = as.character(vet$celltype), karno = vet$karno,
                 age = vet$age, diagtime = vet$diagtime, prior = vet$prior, karno_e6 = vet$karno_e6,
                 cell_mixed = unname(vet$cell_mixed)),
  pbc = list(time = pbc2$time, death = pbc2$death, bili = pbc2$bili, bili_e5 = pbc2$bili_e5, edema = pbc2$edema,
             female = pbc2$female),
  heart = list(start = heart$start, stop = heart$stop, event = heart$event,
               surgery = heart$surgery, age = heart$age),
  mgus2 = list(etime = mg$etime, event = mg$event, sex = as.character(mg$sex)),
  cuminc_example = as.list(cmp)
)
write_reference(datasets, "datasets.json")

# ------------------------------------------------------------- Kaplan-Meier ---
summary_times <- list(aml = c(0, 10, 20, 30, 48, 100, 161), lung = c(0, 100, 365, 500, 730, 1000),
                      veteran = c(0, 30, 90, 180, 365, 999), heart = c(0, 50, 365, 1000))
rmean_tau <- list(aml = 100, lung = 730, veteran = 365, heart = 1000)

curves_of <- function(fit) {
  # One list per curve; a fit without strata is a single curve.
  if (is.null(fit$strata)) return(list(list(label = NA, fit = fit)))
  lapply(seq_along(fit$strata), function(i) list(label = sub("^[^=]*=", "", names(fit$strata)[i]), fit = fit[i]))
}

peto_limits <- function(surv, n_risk, conf.type) {
  survival:::survfit_confint(surv, sqrt((1 - surv) / n_risk), logse = TRUE,
                             conf.type = conf.type, conf.int = 0.95)
}

describe_curve <- function(fit, times, tau, conf.type) {
  s <- summary(fit, censored = TRUE)
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  at <- summary(fit, times = times[times <= max(fit$time)])
  at_risk_extended <- summary(fit, times = times, extend = TRUE)$n.risk
  rm <- summary(fit, rmean = tau)$table   # what print(fit, rmean = tau) shows
  # Peto: SE(S) = S sqrt((1 - S) / n); limits from R's own survfit_confint with that SE.
  peto_fit <- fit
  limits <- peto_limits(fit$surv, fit$n.risk, conf.type)
  peto_fit$lower <- limits$lower
  peto_fit$upper <- limits$upper
  peto_q <- quantile(peto_fit, probs = c(0.25, 0.5, 0.75))
  peto_at <- peto_limits(at$surv, at$n.risk, conf.type)
  # Before the first time, summary() reads survfit0's inserted row, whose limits are 1: same here.
  before <- at$time < min(fit$time)
  peto_at$lower[before] <- 1
  peto_at$upper[before] <- 1
  list(
    n = scalar(fit$n), time = s$time, n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
    surv = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper,
    log_std_err = fit$std.err,
    quantile = list(probs = c(0.25, 0.5, 0.75), estimate = unname(q$quantile),
                    lower = unname(q$lower), upper = unname(q$upper)),
    at_times = list(time = at$time, n_risk = at$n.risk, n_event = at$n.event, n_censor = at$n.censor,
                    surv = at$surv, std_err = at$std.err, lower = at$lower, upper = at$upper),
    at_risk_extended = list(time = times, n_risk = at_risk_extended),
    rmean = list(tau = scalar(tau), estimate = scalar(rm[["rmean"]]), std_err = scalar(rm[["se(rmean)"]])),
    peto = list(std_err = s$surv * sqrt((1 - s$surv) / s$n.risk), lower = limits$lower, upper = limits$upper,
                quantile = list(estimate = unname(peto_q$quantile), lower = unname(peto_q$lower),
                                upper = unname(peto_q$upper)),
                at_times = list(std_err = at$surv * sqrt((1 - at$surv) / at$n.risk),
                                lower = peto_at$lower, upper = peto_at$upper))
  )
}

km_case <- function(name, dataset, formula, data, conf.type, weights = NULL) {
  args <- list(formula = formula, data = data, conf.type = conf.type)
  if (!is.null(weights)) args$weights <- data[[weights]]   # do.call passes the vector itself
  fit <- do.call(survfit, args)
  curves <- lapply(curves_of(fit), function(c) {
    out <- describe_curve(c$fit, summary_times[[dataset]], rmean_tau[[dataset]], conf.type)
    out$label <- scalar(as.character(c$label))
    out
  })
  list(name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
       conf_type = scalar(conf.type), weights = scalar(if (is.null(weights)) "" else weights),
       curves = curves)
}

km_cases <- list()
for (ct in c("log", "log-log", "plain")) {
  km_cases[[length(km_cases) + 1]] <- km_case("aml_by_x", "aml", Surv(time, status) ~ x, aml, ct)
  km_cases[[length(km_cases) + 1]] <- km_case("lung_by_sex", "lung", Surv(time, status) ~ sex, lung2, ct)
  km_cases[[length(km_cases) + 1]] <- km_case("veteran_all", "veteran", Surv(time, status) ~ 1, vet, ct)
  km_cases[[length(km_cases) + 1]] <- km_case("veteran_by_celltype", "veteran", Surv(time, status) ~ celltype, vet, ct)
}
km_cases[[length(km_cases) + 1]] <- km_case("lung_weighted_by_sex", "lung", Surv(time, status) ~ sex, lung2, "log", weights = "freq")
km_cases[[length(km_cases) + 1]] <- km_case("heart_entry", "heart", Surv(start, stop, event) ~ 1, heart, "log")
km_cases[[length(km_cases) + 1]] <- km_case("heart_entry_by_surgery", "heart", Surv(start, stop, event) ~ surgery, heart, "log-log")

# Reverse Kaplan-Meier: follow-up. Censored subjects are the "events".
followup_case <- function(name, time, status, group = NULL) {
  fit <- if (is.null(group)) survfit(Surv(time, 1 - status) ~ 1) else survfit(Surv(time, 1 - status) ~ group)
  per_curve <- lapply(curves_of(fit), function(c) {
    q <- quantile(c$fit, probs = 0.5)
    keep <- if (is.null(group) || is.na(c$label)) rep(TRUE, length(time)) else as.character(group) == c$label
    list(label = scalar(as.character(c$label)), median = scalar(unname(q$quantile)),
         lower = scalar(unname(q$lower)), upper = scalar(unname(q$upper)),
         mean_time = scalar(mean(time[keep])), median_time = scalar(median(time[keep])),
         min_time = scalar(min(time[keep])), max_time = scalar(max(time[keep])))
  })
  list(name = scalar(name), curves = per_curve)
}
followup_cases <- list(
  followup_case("aml", aml$time, aml$status),
  followup_case("lung_by_sex", lung2$time, lung2$status, lung2$sex),
  followup_case("veteran", vet$time, vet$status)
)
write_reference(list(kaplan_meier = km_cases, followup = followup_cases), "kaplan_meier.json")

# ------------------------------------------------------------------- log-rank ---
logrank_case <- function(name, dataset, formula, data, rho = 0) {
  fit <- survdiff(formula, data = data, rho = rho)
  obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  exp <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  df <- sum(exp > 0) - 1
  list(name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
       rho = scalar(rho), groups = sub("^[^=]*=", "", names(fit$n)), n = as.vector(fit$n),
       observed = obs, expected = exp, variance = fit$var,
       chisq = scalar(fit$chisq), df = scalar(df), p = scalar(fit$pvalue))
}

# Test for trend (Collett, Modelling Survival Data, 2nd ed., section 2.6): with scores w,
# (w'(O - E))^2 / (w' V w) on 1 df, from survdiff's own O, E and V.
trend_case <- function(name, dataset, formula, data, scores, rho = 0) {
  fit <- survdiff(formula, data = data, rho = rho)
  obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  exp <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  u <- sum(scores * (obs - exp))
  v <- drop(t(scores) %*% fit$var %*% scores)
  chisq <- u^2 / v
  list(name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
       rho = scalar(rho), scores = scores, groups = sub("^[^=]*=", "", names(fit$n)),
       statistic = scalar(u), variance = scalar(v), chisq = scalar(chisq),
       p = scalar(pchisq(chisq, 1, lower.tail = FALSE)))
}

logrank_cases <- list(
  logrank_case("aml_by_x", "aml", Surv(time, status) ~ x, aml),
  logrank_case("lung_by_sex", "lung", Surv(time, status) ~ sex, lung2),
  logrank_case("lung_by_sex_rho1", "lung", Surv(time, status) ~ sex, lung2, rho = 1),
  logrank_case("veteran_by_celltype", "veteran", Surv(time, status) ~ celltype, vet),
  logrank_case("veteran_by_celltype_rho0.5", "veteran", Surv(time, status) ~ celltype, vet, rho = 0.5),
  logrank_case("veteran_by_trt_strata_celltype", "veteran", Surv(time, status) ~ trt + strata(celltype), vet),
  logrank_case("veteran_by_trt_strata_celltype_rho1", "veteran", Surv(time, status) ~ trt + strata(celltype), vet, rho = 1),
  logrank_case("lung_by_ecog", "lung", Surv(time, status) ~ ph.ecog, lung2)
)
trend_cases <- list(
  trend_case("lung_trend_ecog", "lung", Surv(time, status) ~ ph.ecog, lung2, scores = c(0, 1, 2, 3)),
  trend_case("lung_trend_ecog_strata_sex", "lung", Surv(time, status) ~ ph.ecog + strata(sex), lung2, scores = c(0, 1, 2, 3))
)
write_reference(list(logrank = logrank_cases, trend = trend_cases), "logrank.json")

# ------------------------------------------------------------ competing risks ---
pintilie <- function(est, var, sign) est^exp(sign * qnorm(0.975) * sqrt(var) / (est * log(est)))

cuminc_case <- function(name, dataset, time, status, group = NULL, strata = NULL, rho = 0, times) {
  fit <- if (is.null(group)) cuminc(time, status, rho = rho)
         else if (is.null(strata)) cuminc(time, status, group, rho = rho)
         else cuminc(time, status, group, strata, rho = rho)
  tests <- fit$Tests
  curves <- fit[names(fit) != "Tests"]
  tp <- timepoints(curves, times)
  list(
    name = scalar(name), dataset = scalar(dataset), rho = scalar(rho),
    curves = lapply(names(curves), function(k) {
      parts <- strsplit(k, " ")[[1]]
      list(label = scalar(k), group = scalar(parts[1]), cause = scalar(as.numeric(parts[2])),
           time = curves[[k]]$time, est = curves[[k]]$est, var = curves[[k]]$var)
    }),
    timepoints = list(times = times, labels = rownames(tp$est), est = unname(tp$est), var = unname(tp$var),
                      # log(-log) limits x^exp(±z·se/(x·log x)) (Pintilie 2006, as tidycmprsk)
                      lower = unname(pmin(pintilie(tp$est, tp$var, 1), pintilie(tp$est, tp$var, -1))),
                      upper = unname(pmax(pintilie(tp$est, tp$var, 1), pintilie(tp$est, tp$var, -1)))),
    tests = if (is.null(tests)) NULL else list(cause = as.numeric(rownames(tests)), stat = unname(tests[, "stat"]),
                                               p = unname(tests[, "pv"]), df = unname(tests[, "df"]))
  )
}
competing_cases <- list(
  cuminc_case("mgus2_by_sex", "mgus2", mg$etime, mg$event, mg$sex, times = c(12, 60, 120, 240, 360)),
  cuminc_case("mgus2_by_sex_rho1", "mgus2", mg$etime, mg$event, mg$sex, rho = 1, times = c(60, 240)),
  cuminc_case("mgus2_all", "mgus2", mg$etime, mg$event, times = c(12, 60, 120, 240, 360)),
  cuminc_case("example_groups_strata", "cuminc_example", cmp$time, cmp$status, cmp$group, cmp$strata,
              times = c(0.5, 1, 1.5, 2)),
  cuminc_case("example_groups", "cuminc_example", cmp$time, cmp$status, cmp$group, times = c(0.5, 1, 1.5, 2))
)
write_reference(list(cumulative_incidence = competing_cases), "competing_risks.json")

# ------------------------------------------------------------------------ Cox ---
cox_case <- function(name, dataset, formula, data, ties = "efron", weights = NULL, robust = FALSE,
                     references = list(), with_zph = TRUE) {
  args <- list(formula = formula, data = data, ties = ties, robust = robust)
  if (!is.null(weights)) args$weights <- data[[weights]]
  fit <- do.call(coxph, args)
  s <- summary(fit)
  # cox.zph solves with the unscaled information: R itself calls it singular at scales 1e5 apart.
  if (with_zph) {
    zph <- cox.zph(fit)
    zph_identity <- cox.zph(fit, transform = "identity")
    zph_terms <- cox.zph(fit, terms = FALSE)
  }
  out <- list(
    name = scalar(name), dataset = scalar(dataset), formula = scalar(deparse(formula)),
    ties = scalar(ties), weights = scalar(if (is.null(weights)) "" else weights), robust = scalar(robust),
    references = references,
    terms = names(coef(fit)), coef = unname(coef(fit)), var = unname(fit$var),
    se = unname(sqrt(diag(fit$var))), hr = unname(exp(coef(fit))),
    hr_lower = unname(s$conf.int[, "lower .95"]), hr_upper = unname(s$conf.int[, "upper .95"]),
    loglik = fit$loglik, n = scalar(fit$n), nevent = scalar(fit$nevent), iter = scalar(fit$iter),
    # summary() rounds the Wald statistic to 2 decimals; the fit holds it unrounded.
    wald = list(chisq = scalar(unname(fit$wald.test)), df = scalar(s$waldtest[["df"]]), p = scalar(s$waldtest[["pvalue"]])),
    score = list(chisq = scalar(s$sctest[["test"]]), df = scalar(s$sctest[["df"]]), p = scalar(s$sctest[["pvalue"]])),
    lr = list(chisq = scalar(s$logtest[["test"]]), df = scalar(s$logtest[["df"]]), p = scalar(s$logtest[["pvalue"]])),
    concordance = list(concordant = scalar(fit$concordance[["concordant"]]),
                       discordant = scalar(fit$concordance[["discordant"]]),
                       tied_x = scalar(fit$concordance[["tied.x"]]), tied_y = scalar(fit$concordance[["tied.y"]]),
                       tied_xy = scalar(fit$concordance[["tied.xy"]]),
                       estimate = scalar(fit$concordance[["concordance"]]), std_err = scalar(fit$concordance[["std"]]))
  )
  if (with_zph) out <- c(out, list(
    zph = list(terms = rownames(zph$table), chisq = unname(zph$table[, "chisq"]),
               df = unname(zph$table[, "df"]), p = unname(zph$table[, "p"])),
    zph_identity = list(terms = rownames(zph_identity$table), chisq = unname(zph_identity$table[, "chisq"]),
                        df = unname(zph_identity$table[, "df"]), p = unname(zph_identity$table[, "p"])),
    zph_by_column = list(terms = rownames(zph_terms$table), chisq = unname(zph_terms$table[, "chisq"]),
                         df = unname(zph_terms$table[, "df"]), p = unname(zph_terms$table[, "p"]))
  ))
  if (robust) {
    out$naive_var <- unname(fit$naive.var)
    out$robust_se <- unname(sqrt(diag(fit$var)))
    out$robust_score <- list(chisq = scalar(s$robscore[["test"]]), df = scalar(s$robscore[["df"]]),
                             p = scalar(s$robscore[["pvalue"]]))
  }
  out
}

cox_cases <- list(
  cox_case("aml_x", "aml", Surv(time, status) ~ x, aml, references = list(x = scalar("Maintained"))),
  cox_case("lung_efron", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2),
  cox_case("lung_breslow", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, ties = "breslow"),
  cox_case("lung_weighted", "lung", Surv(time, status) ~ age + sex + ph.ecog, lung2, weights = "freq"),
  cox_case("lung_robust", "lung", Surv(time, status) ~ age + sex + ph.ecog + wt.loss, lung2, robust = TRUE),
  cox_case("veteran_celltype", "veteran", Surv(time, status) ~ trt + celltype + karno, vet,
           references = list(celltype = scalar("squamous"))),
  cox_case("veteran_strata", "veteran", Surv(time, status) ~ karno + age + strata(celltype), vet),
  cox_case("veteran_breslow_strata", "veteran", Surv(time, status) ~ karno + diagtime + strata(trt), vet, ties = "breslow"),
  # Scales far apart: a fit R makes because coxfit6 scales covariates before its singularity test.
  cox_case("lung_age_in_seconds", "lung", Surv(time, status) ~ age_seconds + sex + ph.ecog, lung2, with_zph = FALSE),
  # The same models on their natural scales: R's Wald test of the scaled fits drops a column
  # (coxph.wtest runs cholesky2 on the unscaled variance), so the Wald statistic is read from these.
  cox_case("veteran_karno", "veteran", Surv(time, status) ~ karno + trt + prior, vet, ties = "breslow"),
  cox_case("pbc_bilirubin", "pbc", Surv(time, death) ~ bili + edema + female, pbc2),
  cox_case("veteran_karno_e6", "veteran", Surv(time, status) ~ karno_e6 + trt + prior, vet, ties = "breslow", with_zph = FALSE),
  local({
    collation <- Sys.getlocale("LC_COLLATE")
    Sys.setlocale("LC_COLLATE", "C")
    on.exit(Sys.setlocale("LC_COLLATE", collation))
    cox_case("veteran_mixed_case_levels", "veteran", Surv(time, status) ~ cell_mixed + karno, vet)
  }),
  cox_case("pbc_bilirubin_e5", "pbc", Surv(time, death) ~ bili_e5 + edema + female, pbc2, with_zph = FALSE)
)
write_reference(list(cox = cox_cases), "cox.json")
