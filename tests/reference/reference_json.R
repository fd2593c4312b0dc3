# The JSON writer every make_*.R script here sources: 17 significant digits, NA/NaN/Inf as strings.
#
# jsonlite stops at 15 digits, so numbers are formatted here and jsonlite only escapes strings.
# write_reference() stamps each file with the script, R, survival and cmprsk versions.

suppressPackageStartupMessages(library(jsonlite))

scalar <- function(x) structure(x, class = c("json_scalar", class(x)))

num <- function(x) {
  out <- sprintf("%.17g", x)
  out[is.na(x) & !is.nan(x)] <- "\"NA\""
  out[is.nan(x)] <- "\"NaN\""
  out[is.infinite(x) & x > 0] <- "\"Inf\""
  out[is.infinite(x) & x < 0] <- "\"-Inf\""
  out
}

to_json <- function(x) {
  if (inherits(x, "json_scalar")) {
    class(x) <- setdiff(class(x), "json_scalar")
    stopifnot(length(x) == 1)
    if (is.character(x) || is.factor(x)) return(as.character(toJSON(as.character(x), auto_unbox = TRUE)))
    if (is.logical(x)) return(if (x) "true" else "false")
    return(num(as.numeric(x)))
  }
  if (is.data.frame(x)) x <- as.list(x)
  if (is.matrix(x)) return(paste0("[", paste(apply(x, 1, function(r) to_json(as.vector(r))), collapse = ","), "]"))
  if (is.list(x)) {
    if (is.null(names(x))) return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
    keys <- vapply(names(x), function(k) as.character(toJSON(k, auto_unbox = TRUE)), "")
    return(paste0("{", paste(keys, vapply(x, to_json, ""), sep = ":", collapse = ","), "}"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) return(as.character(toJSON(x)))
  if (is.logical(x)) return(paste0("[", paste(ifelse(x, "true", "false"), collapse = ","), "]"))
  paste0("[", paste(num(as.numeric(x)), collapse = ","), "]")
}

write_reference <- function(x, file) {
  x$generated_by <- scalar(paste(paste0("tests/reference/", script), "with", R.version.string,
                                 "survival", packageVersion("survival"),
                                 "cmprsk", packageVersion("cmprsk")))
  writeLines(to_json(x), file)
  cat("wrote", file, "\n")
}

