# Reference values for the shared gamma frailty Cox model: coxph(... + frailty(group)).
#
#     cd tests/reference && Rscript make_cox_frailty.R
#
# Every case is R's default gamma frailty: frailty.gamma with method "em" (theta chosen by the
# outer search of frailty.controlgam on the I-likelihood) or a fixed theta, fitted by coxpenal.fit
# with the sparse computation (more than 5 groups). R's default controls throughout
# (coxph.control: eps 1e-9, iter.max 20, outer.max 10; frailty eps 1e-5): the Python side follows
# the same outer and inner iterations step for step, so no tighter tolerance is needed.
# One exception: on the simulated multi-centre study R's search for theta is still moving after its
# 10 outer iterations and R returns that unconverged fit without a warning (history$done is FALSE;
# recorded here as multicentre_default). Those cases are fitted with outer.max = 30 as well, where
# the search converges; Python raises at the default instead of returning the unconverged fit.
# The JSON carries every input row: rats and kidney are survival's, the multi-centre study is
# simulated here with a fixed seed.

suppressPackageStartupMessages(library(survival))
source("reference_json.R")
script <- "make_cox_frailty.R"

set.seed(20240515)
n_patients <- 2000
n_hospitals <- 40
hospital <- sample(sprintf("H%02d", seq_len(n_hospitals)), n_patients, replace = TRUE)
hospital_frailty <- rgamma(n_hospitals, shape = 2, rate = 2)
names(hospital_frailty) <- sprintf("H%02d", seq_len(n_hospitals))
treated <- rbinom(n_patients, 1, 0.45)
age <- round(rnorm(n_patients, 55, 12), 1)
stage <- sample(c("I", "II", "III"), n_patients, replace = TRUE, prob = c(0.4, 0.35, 0.25))
hazard <- 0.002 * hospital_frailty[hospital] *
  exp(-0.4 * treated + 0.03 * (age - 55) + c(I = 0, II = 0.3, III = 0.8)[stage])
event_day <- rexp(n_patients, hazard)
censor_day <- runif(n_patients, 200, 1500)
multicentre <- data.frame(
  time = pmax(1, round(pmin(event_day, censor_day))),   # whole days: many tied times
  status = as.integer(event_day <= censor_day),
  treated = treated, age = age, stage = stage, hospital = hospital
)

datasets <- list(
  rats = list(time = rats$time, status = rats$status, rx = rats$rx, litter = rats$litter,
              sex = rats$sex),
  kidney = list(time = kidney$time, status = kidney$status, age = kidney$age, sex = kidney$sex,
                disease = as.character(kidney$disease), id = kidney$id),
  multicentre = as.list(multicentre)
)

frailty_case <- function(name, dataset, formula, data, ties = "efron", theta = NULL,
                         covariates, group, strata = "", levels = list(), outer_max = 10) {
  warned <- character(0)   # R warns "Inner loop failed to coverge for iterations ..." and goes on
  fit <- withCallingHandlers(
    coxph(formula, data = data, ties = ties, control = coxph.control(outer.max = outer_max)),
    warning = function(w) { warned <<- c(warned, conditionMessage(w)); invokeRestart("muffleWarning") })
  s <- summary(fit)
  table <- s$coefficients
  history <- fit$history[[1]]
  frailty_row <- nrow(table)
  list(
    name = scalar(name), dataset = scalar(dataset), formula = scalar(paste(deparse(formula), collapse = "")),
    ties = scalar(ties), outer_max = scalar(outer_max), done = scalar(unname(fit$history[[1]]$done)),
    theta_fixed = scalar(if (is.null(theta)) NA_real_ else theta),
    covariates = covariates, group = scalar(group), strata = scalar(strata), levels = levels,
    terms = names(coef(fit)), coef = unname(coef(fit)),
    var = unname(fit$var), var2 = unname(fit$var2),
    se = unname(table[-frailty_row, "se(coef)"]), se2 = unname(table[-frailty_row, "se2"]),
    chisq = unname(table[-frailty_row, "Chisq"]), p = unname(table[-frailty_row, "p"]),
    hr_lower = unname(s$conf.int[, "lower .95"]), hr_upper = unname(s$conf.int[, "upper .95"]),
    frailty_chisq = scalar(table[frailty_row, "Chisq"]), frailty_df = scalar(table[frailty_row, "DF"]),
    frailty_p = scalar(table[frailty_row, "p"]),
    df = unname(fit$df),                       # per term, the frailty term last (its trace)
    frail = fit$frail, fvar = fit$fvar,
    theta = scalar(if (is.null(history$history)) history$theta else history$history[nrow(history$history), 1]),
    i_likelihood = scalar(history$c.loglik),
    history = if (is.null(history$history)) NULL else unname(history$history),
    loglik = fit$loglik, penalty = fit$penalty, iter = fit$iter,
    wald = scalar(unname(fit$wald.test)),
    lr = list(chisq = scalar(s$logtest[["test"]]), df = scalar(s$logtest[["df"]]),
              p = scalar(s$logtest[["pvalue"]])),
    n = scalar(fit$n), nevent = scalar(fit$nevent), warnings = warned
  )
}

cases <- list(
  frailty_case("rats_litter", "rats", Surv(time, status) ~ rx + frailty(litter), rats,
               covariates = "rx", group = "litter"),
  frailty_case("rats_litter_theta", "rats", Surv(time, status) ~ rx + frailty(litter, theta = 0.5), rats,
               theta = 0.5, covariates = "rx", group = "litter"),
  frailty_case("rats_litter_strata", "rats", Surv(time, status) ~ rx + frailty(litter) + strata(sex), rats,
               covariates = "rx", group = "litter", strata = "sex"),
  frailty_case("kidney_id", "kidney", Surv(time, status) ~ age + frailty(id), kidney,
               covariates = "age", group = "id"),
  # R's own example: its inner loop runs out of iterations at theta = 2 (a warning), yet the
  # outer search goes on and converges.
  frailty_case("kidney_age_sex", "kidney", Surv(time, status) ~ age + sex + frailty(id), kidney,
               covariates = c("age", "sex"), group = "id"),
  frailty_case("kidney_breslow", "kidney", Surv(time, status) ~ age + sex + frailty(id), kidney,
               ties = "breslow", covariates = c("age", "sex"), group = "id"),
  frailty_case("kidney_disease_theta", "kidney",
               Surv(time, status) ~ sex + disease + frailty(id, theta = 1), kidney,
               theta = 1, covariates = c("sex", "disease"), group = "id",
               levels = list(disease = levels(kidney$disease))),
  frailty_case("multicentre_default", "multicentre",
               Surv(time, status) ~ treated + age + frailty(hospital), multicentre,
               covariates = c("treated", "age"), group = "hospital"),
  frailty_case("multicentre", "multicentre",
               Surv(time, status) ~ treated + age + frailty(hospital), multicentre,
               covariates = c("treated", "age"), group = "hospital", outer_max = 30),
  frailty_case("multicentre_stage_breslow", "multicentre",
               Surv(time, status) ~ treated + age + stage + frailty(hospital), multicentre,
               ties = "breslow", covariates = c("treated", "age", "stage"), group = "hospital",
               outer_max = 30),
  frailty_case("multicentre_theta", "multicentre",
               Surv(time, status) ~ treated + age + frailty(hospital, theta = 0.25), multicentre,
               theta = 0.25, covariates = c("treated", "age"), group = "hospital")
)
write_reference(list(datasets = datasets, cases = cases), "cox_frailty.json")
