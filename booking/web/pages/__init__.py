"""The citizen's pages: server-rendered, working without JavaScript, in the French State
design system. Handlers parse a form, call one use case and render a template."""
