/**
 * Completion scripts for bash, zsh and fish. Each asks qmpsh itself
 * (`qmpsh --_complete LINE`, completion/complete.ts) for the candidates, so the
 * option table and the live schema are the only sources: nothing is listed
 * here twice.
 *
 *   eval "$(qmpsh --completion bash)"      (~/.bashrc)
 *   eval "$(qmpsh --completion zsh)"       (~/.zshrc, after compinit)
 *   qmpsh --completion fish | source       (~/.config/fish/config.fish)
 */
const BASH = `# qmpsh completion for bash: eval "$(qmpsh --completion bash)"
_qmpsh() {
  local line=\${COMP_LINE:0:COMP_POINT} word keep= pre= c i
  local -a cands
  word=\${line##*[[:space:]]}
  # qmpsh answers whole words (driver=null-co), but bash replaces only the end
  # of the word after its last COMP_WORDBREAKS character (= : @ ...): after
  # \`driver=nu\` just \`nu\`, after \`tcp:host:4\` just \`4\`. That start is \`keep\`,
  # taken off every answer. Inside an open quote bash does not break; nor at
  # an \`@\` that starts the word (\`@web1\`: readline keeps it in the word).
  case $word in
    \\'*|\\"*) word=\${word:1} ;;
    *) for ((i = \${#word} - 1; i >= 0; i--)); do
         [[ $i == 0 && \${word:0:1} == @ ]] && break
         [[ $COMP_WORDBREAKS == *"\${word:i:1}"* ]] && { keep=\${word:0:i+1}; break; }
       done ;;
  esac
  mapfile -t cands < <(command qmpsh --_complete "$line" 2>/dev/null)
  COMPREPLY=()
  if [[ \${cands[0]} == __files__ ]]; then
    # A path, maybe after unix:, listen: or --option=.
    case $word in unix:*|listen:*) pre=\${word%%:*}: ;; --*=*) pre=\${word%%=*}= ;; esac
    mapfile -t cands < <(compgen -f -- "\${word#"$pre"}")
    if [[ $keep == "$pre" ]]; then
      compopt -o filenames
      COMPREPLY=("\${cands[@]}")
      return 0
    fi
    for c in "\${cands[@]}"; do
      [[ -d $c ]] && c+=/
      c=$pre$c
      [[ $c == "$keep"* ]] && COMPREPLY+=("\${c#"$keep"}")
    done
  else
    for c in "\${cands[@]}"; do
      [[ $c == "$word"* ]] && COMPREPLY+=("\${c#"$keep"}")
    done
  fi
  # key= and a. (and a directory) go on: no space after them.
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *[=./] ]] && compopt -o nospace
  return 0
}
complete -F _qmpsh qmpsh
`;

const ZSH = `# qmpsh completion for zsh: eval "$(qmpsh --completion zsh)"   (after compinit)
_qmpsh() {
  # The command's words up to the cursor, as typed: qmpsh unquotes them.
  local word=$IPREFIX$PREFIX c ret=1
  local -a cands values names
  cands=(\${(f)"$(command qmpsh --_complete "\${(j: :)words[1,CURRENT-1]} $word" 2>/dev/null)"})
  if [[ $cands[1] == __files__ ]]; then
    # A path, maybe after unix:, listen: or --option=.
    compset -P '(unix|listen):' || compset -P '--[^=]#='
    _files
    return
  fi
  # qmpsh answers whole words (driver=null-co). Past a \`key=\` only the value
  # is offered (null-co), the key staying in IPREFIX.
  local key=\${(M)word##*=}
  [[ -n $key ]] && compset -P '*='
  for c in $cands; do
    [[ \${c[1,$#word]} == "$word" ]] || continue
    c=\${c[$#key+1,-1]}
    # key= and a. go on: no space after them.
    if [[ $c == *[=.] ]]; then names+=($c); else values+=($c); fi
  done
  (( $#names )) && compadd -S '' -- $names && ret=0
  (( $#values )) && compadd -- $values && ret=0
  return ret
}
compdef _qmpsh qmpsh
`;

const FISH = `# qmpsh completion for fish: qmpsh --completion fish | source
function __qmpsh_complete
    # The command's words up to the cursor, as typed: qmpsh unquotes them.
    set -l cands (command qmpsh --_complete (commandline -cp | string collect) 2>/dev/null)
    if test "$cands[1]" = __files__
        # A path, maybe after unix:, listen: or --option=.
        set -l token (commandline -ct)
        set -l pre (string match -r -- '^(?:unix:|listen:|--[^=]*=)' "$token")
        __fish_complete_path (string sub -s (math (string length -- "$pre") + 1) -- "$token") | string replace -r -- '^' "$pre"
        return
    end
    printf '%s\\n' $cands
end
complete -c qmpsh -f -a '(__qmpsh_complete)'
`;

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export function completionScript(shell: string): string {
  if (shell === 'bash') return BASH;
  if (shell === 'zsh') return ZSH;
  if (shell === 'fish') return FISH;
  throw new Error(`no completion for '${shell}'`);
}
