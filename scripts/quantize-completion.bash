# bash completion for quantize (installed as share/bash-completion/completions/quantize).
# Subcommands and options come from the installed binary's own --help, so they never go stale.
_quantize() {
  local cur=${COMP_WORDS[COMP_CWORD]} sub="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in -*) ;; *) sub=${COMP_WORDS[i]}; break ;; esac
  done
  local help
  if [ -z "$sub" ]; then
    help=$(quantize --help 2>/dev/null)
    if [[ $cur != -* ]]; then
      # The SUBCOMMANDS section: one "  name  description" line each.
      COMPREPLY=($(compgen -W "$(sed -n '/^Subcommands:/,$p' <<<"$help" | awk 'NR > 1 && /^  [a-z]/ {print $1}')" -- "$cur"))
      return
    fi
  else
    help=$(quantize "$sub" --help 2>/dev/null)
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(grep -oE -- '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' <<<"$help" | tr -d ' ,' | sort -u)" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _quantize quantize
