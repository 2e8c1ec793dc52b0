package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/template"
)

// completionScripts are the shell completion scripts, made from commands
// and the flags when mdcli starts: static text that completes commands,
// subcommands, flags and "@FILE" frames without running mdcli.
var completionScripts = map[string]*template.Template{
	"bash": template.Must(template.New("bash").Parse(bashCompletion)),
	"zsh":  template.Must(template.New("zsh").Funcs(template.FuncMap{"zq": zshQuote}).Parse(zshCompletion)),
}

// printCompletion writes the script for shell.
func printCompletion(stdout, stderr io.Writer, shell string) int {
	if err := completionScripts[shell].Execute(stdout, completionData()); err != nil {
		fmt.Fprintln(stderr, "mdcli:", err)
		return exitFailure
	}
	return exitOK
}

// completionInput is what the templates are made from.
type completionInput struct {
	Commands    []completionCommand
	Flags       []completionFlag
	ValueFlags  string // "--broker|--timeout|..." for a bash case pattern
	AllFlags    string // "--broker --timeout ..." for compgen
	AllCommands string
}

type completionCommand struct {
	Name, Summary string
	Subcommands   []string
}

type completionFlag struct {
	Name, Usage string
	Value       bool // takes a value
	Repeat      bool // may be given more than once
}

func completionData() completionInput {
	all, withValue := flagNames()
	var cfg config
	var brokers brokerList
	var flags []completionFlag
	newFlagSet(&cfg, &brokers).VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		usage, _, _ = strings.Cut(usage, " (")
		flags = append(flags, completionFlag{Name: f.Name, Usage: usage,
			Value: contains(withValue, "--"+f.Name), Repeat: f.Name == "broker"})
	})
	names := make([]string, len(commands))
	cmds := make([]completionCommand, len(commands))
	for i, c := range commands {
		names[i] = c.name
		cmds[i] = completionCommand{Name: c.name, Summary: c.summary, Subcommands: c.subcommands}
	}
	// Both spellings of a flag take a value: -broker as well as --broker.
	var patterns []string
	for _, f := range withValue {
		patterns = append(patterns, f, f[1:])
	}
	return completionInput{Commands: cmds, Flags: flags, ValueFlags: strings.Join(patterns, "|"),
		AllFlags: strings.Join(all, " "), AllCommands: strings.Join(names, " ")}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// zshQuote escapes text for the inside of a single-quoted _arguments or
// _describe spec: quotes, colons and brackets.
func zshQuote(s string) string {
	return strings.NewReplacer(`'`, `'\''`, `:`, `\:`, `[`, `\[`, `]`, `\]`).Replace(s)
}

const bashCompletion = `# bash completion for mdcli, made by "mdcli completion bash".
# Load it in ~/.bashrc:  source <(mdcli completion bash)
_mdcli() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -ra words <<< "$line"
    [[ -z $line || $line == *[[:space:]] ]] && words+=("")
    local n=${#words[@]} cur=${words[${#words[@]}-1]}
    local i w cmd="" sub="" value="" flagsdone=""
    for ((i = 1; i < n - 1; i++)); do
        w=${words[i]}
        if [[ -n $value ]]; then value=""; continue; fi
        if [[ -z $flagsdone && $w == -- ]]; then flagsdone=1; continue; fi
        if [[ -z $flagsdone && $w == -* ]]; then
            case $w in {{.ValueFlags}}) value=1 ;; esac
            continue
        fi
        if [[ -z $cmd ]]; then cmd=$w; flagsdone=""; elif [[ -z $sub ]]; then sub=$w; fi
    done
    COMPREPLY=()
    [[ -n $value ]] && return 0
    if [[ $cur == -* && -z $flagsdone && ( -z $cmd || -z $sub ) ]]; then
        COMPREPLY=($(compgen -W "{{.AllFlags}}" -- "$cur"))
        return 0
    fi
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "{{.AllCommands}}" -- "$cur"))
        return 0
    fi
    case $cmd in
{{- range .Commands}}{{if .Subcommands}}
        {{.Name}}) [[ -z $sub ]] && COMPREPLY=($(compgen -W "{{range $i, $s := .Subcommands}}{{if $i}} {{end}}{{$s}}{{end}}" -- "$cur")) ;;
{{- end}}{{end}}
        call|stream)
            if [[ -n $sub && $cur == @* && $cur != @@* ]]; then
                COMPREPLY=($(compgen -f -P @ -- "${cur#@}"))
            fi ;;
    esac
    return 0
}
complete -o default -F _mdcli mdcli
`

const zshCompletion = `#compdef mdcli
# zsh completion for mdcli, made by "mdcli completion zsh".
# Load it in ~/.zshrc after compinit:  source <(mdcli completion zsh)
# or save it as _mdcli in a directory of $fpath.
_mdcli() {
    local curcontext=$curcontext state line
    local -a commands
    commands=(
{{- range .Commands}}
        '{{zq .Name}}:{{zq .Summary}}'
{{- end}}
    )
    _arguments -C \
{{- range .Flags}}
        '{{if .Repeat}}*{{end}}--{{.Name}}{{if .Value}}={{end}}[{{zq .Usage}}]{{if .Value}}:{{zq .Name}}:{{end}}' \
{{- end}}
        '1:command:->command' \
        '*::argument:->argument'
    case $state in
        command) _describe -t commands 'mdcli command' commands ;;
        argument)
            case $words[1] in
{{- range .Commands}}{{if .Subcommands}}
                {{.Name}}) (( CURRENT == 2 )) && _values '{{.Name}} subcommand'{{range .Subcommands}} '{{.}}'{{end}} ;;
{{- end}}{{end}}
                call|stream)
                    if (( CURRENT > 2 )) && [[ $PREFIX == @* && $PREFIX != @@* ]]; then
                        compset -P @
                        _files
                    fi ;;
            esac ;;
    esac
}
if [[ $funcstack[1] == _mdcli ]]; then
    _mdcli "$@"
else
    compdef _mdcli mdcli
fi
`
