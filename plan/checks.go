package plan

// checkProgramInputs checks what can be checked at load about the inputs
// of a service's programs: every *_args string must split into shell words
// (an error otherwise), and the bootconf template should fill from the deps
// bag (a warning otherwise: on a later boot bootout.json keys may supply
// the missing names).
func (l *loader) checkProgramInputs(s *Service) {
	for _, kind := range []ProgramKind{BootPgm, ReadyPgm, TerminatePgm} {
		key := string(kind) + "pgm_args"
		st, ok := s.Settings.Get(key)
		if !ok {
			continue
		}
		if _, err := SplitWords(st.Value); err != nil {
			l.ps.errorf(st.Source.File, st.Source.Section, key, st.Source.Line, "%v", err)
		}
	}
	bc, ok := s.Settings.Get("bootconf")
	if !ok {
		return
	}
	if _, ok := s.Settings.Get("bootpgm"); !ok {
		l.ps.warnf(bc.Source.File, bc.Source.Section, "bootconf", bc.Source.Line, "bootconf is only used with a bootpgm")
		return
	}
	data, err := l.read(bc.Value)
	if err != nil {
		return // a missing file is already an error
	}
	keys := make(map[string]bool, len(s.Deps))
	for _, a := range s.Deps {
		keys[a.Key] = true
	}
	bag := func(key string) (string, bool) { return "", keys[key] }
	if _, err := FillTemplate(l.ps.rel(bc.Value), data, bag); err != nil {
		l.ps.warnf(bc.Source.File, bc.Source.Section, "bootconf", bc.Source.Line, "template will not fill from the deps files: %v", err)
	}
}
