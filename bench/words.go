package main

// Word lists for generated contacts. Czech surnames come in male and female forms, in
// rough order of frequency; the generator weights them Zipf-like, so Novák is common.

var czechMale = []string{
	"Jan", "Petr", "Josef", "Pavel", "Martin", "Tomáš", "Jaroslav", "Miroslav", "Zdeněk", "Václav",
	"Michal", "František", "Jiří", "Jakub", "Lukáš", "Ondřej", "Vojtěch", "Matěj", "Radek", "Karel",
	"Milan", "Aleš", "Štěpán", "Vít", "Dušan", "Roman", "Libor", "Luboš", "Bohumil", "Přemysl",
}

var czechFemale = []string{
	"Jana", "Marie", "Eva", "Hana", "Anna", "Lenka", "Kateřina", "Lucie", "Věra", "Alena",
	"Petra", "Veronika", "Jaroslava", "Tereza", "Martina", "Michaela", "Zuzana", "Markéta", "Šárka", "Kristýna",
	"Barbora", "Klára", "Dagmar", "Irena", "Radka", "Božena", "Ludmila", "Jitka", "Monika", "Žaneta",
}

// czechSurnames holds {male, female} forms.
var czechSurnames = [][2]string{
	{"Novák", "Nováková"}, {"Svoboda", "Svobodová"}, {"Novotný", "Novotná"}, {"Dvořák", "Dvořáková"},
	{"Černý", "Černá"}, {"Procházka", "Procházková"}, {"Kučera", "Kučerová"}, {"Veselý", "Veselá"},
	{"Horák", "Horáková"}, {"Němec", "Němcová"}, {"Marek", "Marková"}, {"Pospíšil", "Pospíšilová"},
	{"Pokorný", "Pokorná"}, {"Hájek", "Hájková"}, {"Král", "Králová"}, {"Jelínek", "Jelínková"},
	{"Růžička", "Růžičková"}, {"Beneš", "Benešová"}, {"Fiala", "Fialová"}, {"Sedláček", "Sedláčková"},
	{"Doležal", "Doležalová"}, {"Zeman", "Zemanová"}, {"Kolář", "Kolářová"}, {"Navrátil", "Navrátilová"},
	{"Čermák", "Čermáková"}, {"Urban", "Urbanová"}, {"Vaněk", "Vaňková"}, {"Blažek", "Blažková"},
	{"Kříž", "Křížová"}, {"Kovář", "Kovářová"}, {"Kratochvíl", "Kratochvílová"}, {"Bartoš", "Bartošová"},
	{"Vlček", "Vlčková"}, {"Polák", "Poláková"}, {"Musil", "Musilová"}, {"Kopecký", "Kopecká"},
	{"Šimek", "Šimková"}, {"Konečný", "Konečná"}, {"Malý", "Malá"}, {"Holub", "Holubová"},
	{"Štěpánek", "Štěpánková"}, {"Šťastný", "Šťastná"}, {"Žák", "Žáková"}, {"Říha", "Říhová"},
	{"Matějka", "Matějková"}, {"Mach", "Machová"}, {"Staněk", "Staňková"}, {"Hrubý", "Hrubá"},
	{"Bláha", "Bláhová"}, {"Tichý", "Tichá"}, {"Ševčík", "Ševčíková"}, {"Jireš", "Jirešová"},
}

// rareSurname is given to about one Czech person in 5000, for the rare-name query.
var rareSurname = [2]string{"Zápotocký", "Zápotocká"}

var englishGiven = []string{
	"James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Emily", "Olivia", "Zoë", "Chloë", "Renée", "José", "André", "Noël", "Siobhán", "Seán",
}

var englishSurnames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
	"Thomas", "Moore", "Martin", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
	"Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Novak", "O'Brien",
	"Müller", "Brontë", "Fernández", "Łukasiewicz", "Sørensen", "Janssen",
}

var prefixes = []struct {
	v string
	p float64
}{{"Ing.", 0.10}, {"Mgr.", 0.04}, {"MUDr.", 0.02}, {"doc. Ing.", 0.01}, {"Bc.", 0.03}}

var suffixes = []struct {
	v string
	p float64
}{{"Ph.D.", 0.03}, {"CSc.", 0.01}, {"MBA", 0.01}}

var orgWords = []string{
	"Stavby", "Elektro", "Autodoprava", "Pekárna", "Tiskárna", "Software", "Logistika", "Zahradnictví",
	"Realitní kancelář", "Účetní služby", "Strojírny", "Pivovar", "Vinařství", "Kovovýroba", "Advokátní kancelář",
}

var cities = []string{
	"Praha", "Brno", "Ostrava", "Plzeň", "České Budějovice", "Hradec Králové", "Ústí nad Labem", "Olomouc",
	"Liberec", "Zlín", "Pardubice", "Jihlava", "Třebíč", "Kolín", "Písek",
}

var orgForms = []string{"s.r.o.", "a.s.", "spol. s r.o.", "v.o.s.", "z.s."}

var englishOrgA = []string{"Blue River", "Northern Lights", "Green Valley", "Bright Path", "Silver Oak", "Red Fox", "Iron Bridge", "Clear Water"}

var englishOrgB = []string{"Consulting", "Systems", "Trading", "Labs", "Logistics", "Media", "Partners", "Foods"}

var jobTitles = []string{
	"jednatel", "obchodní ředitel", "účetní", "projektový manažer", "vedoucí nákupu", "asistentka", "technik",
	"ředitelka marketingu", "Sales Manager", "Software Engineer", "Account Manager", "CEO", "HR specialistka",
}

var personalDomains = []string{"seznam.cz", "email.cz", "centrum.cz", "gmail.com", "outlook.com", "volny.cz", "post.cz"}

var tagWords = []string{"vip", "dodavatel", "konference 2024", "newsletter", "partner", "praha", "brno", "zákazník", "veletrh", "export"}

var bookNames = []string{
	"Zákazníci", "Dodavatelé", "Partneři", "Zaměstnanci", "Členové",
	"Média", "Úřady", "Konference", "Investoři", "Absolventi",
}

var contactTypes = []struct {
	v string
	w int
}{{"customer", 35}, {"partner", 15}, {"supplier", 15}, {"employee", 10}, {"member", 10}, {"other", 15}}
